-- Neovim (0.7, Debian's) as a real LSP client of `kubelint lsp`: opens FILE in the workspace
-- ROOT, waits for the diagnostics, asks for hover and code actions at the image finding, and
-- writes what it got to OUT as JSON. Run by test_lsp.py with `nvim --headless --clean`.
local bin, root, file, out = os.getenv("KUBELINT_BIN"), os.getenv("ROOT"), os.getenv("FILE"), os.getenv("OUT")
local result = { diagnostics = {}, hover = nil, actions = {} }

vim.cmd("edit " .. vim.fn.fnameescape(file))
local id = vim.lsp.start_client({ name = "kubelint", cmd = { bin, "lsp" }, root_dir = root })
vim.lsp.buf_attach_client(0, id)
vim.wait(20000, function()
  return #vim.diagnostic.get(0) > 0
end, 20)

local image
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(result.diagnostics, { code = d.code, lnum = d.lnum, col = d.col, end_col = d.end_col })
  if d.code == "dockerhub-image-in-china" then
    image = d
  end
end

-- Hover and code actions at the image finding, from the cursor as a user would ask.
if image then
  vim.api.nvim_win_set_cursor(0, { image.lnum + 1, image.col })
  local hover = vim.lsp.buf_request_sync(0, "textDocument/hover", vim.lsp.util.make_position_params(), 10000)
  for _, response in pairs(hover or {}) do
    if response.result then
      result.hover = response.result.contents.value
    end
  end
  local params = vim.lsp.util.make_range_params()
  params.context = { diagnostics = {} }
  local actions = vim.lsp.buf_request_sync(0, "textDocument/codeAction", params, 10000)
  for _, response in pairs(actions or {}) do
    for _, action in ipairs(response.result or {}) do
      table.insert(result.actions, action.title)
    end
  end
end

local handle = io.open(out, "w")
handle:write(vim.fn.json_encode(result))
handle:close()
vim.lsp.stop_client(id)
vim.wait(5000, function()
  return vim.lsp.get_client_by_id(id) == nil
end, 20)
vim.cmd("qa!")
