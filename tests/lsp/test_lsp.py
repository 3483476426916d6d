"""`kubelint lsp` driven over stdio by a real LSP client library (pytest-lsp, on pygls).

Each test starts the binary named by `KUBELINT_BIN` in a fresh workspace, once per client
whose capabilities pytest-lsp ships (VS Code, Neovim 0.7, Emacs), and runs the protocol as an
editor does: initialize, didOpen, publishDiagnostics, didChange, codeAction, hover, a saved
`.kubelint.yaml`, and shutdown. Neovim itself (Debian's 0.7) is a second real client, run by
`nvim.lua`. Run by `.ci/lsp.sh`.
"""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import shutil
import subprocess

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

KUBELINT = os.environ.get("KUBELINT_BIN", "target/release/kubelint")

CONFIG = """environments:
  prod:
    paths: ["k8s/**"]
    platform: ack
    region: cn-shanghai
    mirrors:
      docker.io: { via: registry.cn-hangzhou.aliyuncs.com, digests: false }
"""

# The Pod's container is one flow line, so the image's column differs in UTF-16 code units
# (日本語 is three) and in bytes (nine).
POD = """apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers: [{name: "日本語", image: "redis:7.2-alpine"}]
"""

SECRET = """apiVersion: v1
kind: Secret
metadata:
  name: backend
stringData:
  mongodb-url: mongodb://db
"""

# A key the Secret in secret.yaml does not have: a finding whose related location is the Secret.
CONSUMER = """apiVersion: v1
kind: Pod
metadata:
  name: consumer
spec:
  containers:
    - name: app
      image: registry.cn-hangzhou.aliyuncs.com/team/app:1.0
      env:
        - name: DB
          valueFrom:
            secretKeyRef: {name: backend, key: mongo-url}
"""

CLIENTS = ["visual-studio-code", "neovim@v0.7.0", "emacs"]
TIMEOUT = 20


def client_factory() -> LanguageClient:
    client = make_test_lsp_client()

    # The server asks to watch the workspace's files when the client can register watchers.
    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(_params):
        return None

    return client


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[KUBELINT, "lsp"], client_factory=client_factory),
    params=CLIENTS,
)
async def client(lsp_client: LanguageClient, request, tmp_path: pathlib.Path):
    (tmp_path / ".kubelint.yaml").write_text(CONFIG)
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "pod.yaml").write_text(POD)
    (tmp_path / "k8s" / "secret.yaml").write_text(SECRET)
    lsp_client.workspace_root = tmp_path
    params = types.InitializeParams(
        capabilities=client_capabilities(request.param),
        root_uri=tmp_path.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="workspace")],
    )
    lsp_client.initialize_result = await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


async def diagnostics_until(client: LanguageClient, uri: str, accept) -> list[types.Diagnostic]:
    """The diagnostics of `uri` once `accept` takes them, waiting for publications."""

    async def wait():
        while not (uri in client.diagnostics and accept(client.diagnostics[uri])):
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        return client.diagnostics[uri]

    return await asyncio.wait_for(wait(), TIMEOUT)


def has_rule(rule: str):
    return lambda found: any(d.code == rule for d in found)


def lacks_rule(rule: str):
    return lambda found: not any(d.code == rule for d in found)


def open_document(client: LanguageClient, path: pathlib.Path, text: str, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="yaml", version=version, text=text
            )
        )
    )
    return uri


def image_diagnostic(found: list[types.Diagnostic]) -> types.Diagnostic:
    return next(d for d in found if d.code == "dockerhub-image-in-china")


def offered_utf8(client: LanguageClient) -> bool:
    general = client.capabilities.general
    return bool(general and general.position_encodings and "utf-8" in general.position_encodings)


def column(client: LanguageClient, line: str, index: int) -> int:
    """The column of `line[index]` in the unit the server and client agreed on."""
    if client.initialize_result.capabilities.position_encoding == "utf-8":
        return len(line[:index].encode("utf-8"))
    return len(line[:index].encode("utf-16-le")) // 2


@pytest.mark.asyncio
async def test_initialize_advertises_sync_hover_code_actions_and_the_encoding(client: LanguageClient):
    capabilities = client.initialize_result.capabilities
    assert client.initialize_result.server_info.name == "kubelint"
    # UTF-8 when the client offers it (LSP 3.17), else UTF-16, which every client speaks.
    expected = "utf-8" if offered_utf8(client) else "utf-16"
    assert capabilities.position_encoding == expected
    assert capabilities.hover_provider
    assert capabilities.code_action_provider
    sync = capabilities.text_document_sync
    assert sync.open_close and sync.change == types.TextDocumentSyncKind.Full and sync.save


@pytest.mark.asyncio
async def test_did_open_publishes_the_finding_at_its_range_in_the_agreed_encoding(
    client: LanguageClient,
):
    path = client.workspace_root / "k8s" / "pod.yaml"
    uri = open_document(client, path, POD)
    found = await diagnostics_until(client, uri, has_rule("dockerhub-image-in-china"))
    diagnostic = image_diagnostic(found)
    line = POD.splitlines()[5]
    start = line.index('"redis')
    end = start + len('"redis:7.2-alpine"')
    assert diagnostic.range.start == types.Position(line=5, character=column(client, line, start))
    assert diagnostic.range.end == types.Position(line=5, character=column(client, line, end))
    utf8, utf16 = len(line[:start].encode()), len(line[:start].encode("utf-16-le")) // 2
    assert utf8 != utf16, "the line has non-ASCII text before the image"
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.source == "kubelint"
    assert "dockerhub-image-in-china" in diagnostic.code_description.href


@pytest.mark.asyncio
async def test_did_change_relints_the_buffer_not_the_file_on_disk(client: LanguageClient):
    path = client.workspace_root / "k8s" / "pod.yaml"
    uri = open_document(client, path, POD)
    await diagnostics_until(client, uri, has_rule("dockerhub-image-in-china"))
    mirrored = POD.replace('"redis:7.2-alpine"', '"registry.cn-hangzhou.aliyuncs.com/library/redis@sha256:' + "0" * 64 + '"')
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=mirrored)],
        )
    )
    await diagnostics_until(client, uri, lacks_rule("dockerhub-image-in-china"))
    assert path.read_text() == POD


@pytest.mark.asyncio
async def test_code_actions_offer_the_rules_fix_and_disable_for_this_line(client: LanguageClient):
    path = client.workspace_root / "k8s" / "pod.yaml"
    uri = open_document(client, path, POD)
    found = await diagnostics_until(client, uri, has_rule("dockerhub-image-in-china"))
    diagnostic = image_diagnostic(found)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    titles = [action.title for action in actions]
    assert "Disable dockerhub-image-in-china for this line" in titles
    disable = next(a for a in actions if a.title.startswith("Disable"))
    assert disable.kind == types.CodeActionKind.QuickFix
    edits = disable.edit.changes[uri]
    assert any("# kubelint-disable-next-line dockerhub-image-in-china" in e.new_text for e in edits)
    fixes = [a for a in actions if not a.title.startswith("Disable") and a.edit]
    assert fixes, f"no fix among {titles}"
    new_texts = [edit.new_text for fix in fixes for edit in fix.edit.changes[uri]]
    assert "registry.cn-hangzhou.aliyuncs.com/library/redis:7.2-alpine" in new_texts


@pytest.mark.asyncio
async def test_hover_on_a_finding_explains_its_rule(client: LanguageClient):
    path = client.workspace_root / "k8s" / "pod.yaml"
    uri = open_document(client, path, POD)
    found = await diagnostics_until(client, uri, has_rule("dockerhub-image-in-china"))
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=image_diagnostic(found).range.start,
        )
    )
    assert hover is not None
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert "dockerhub-image-in-china" in hover.contents.value
    nowhere = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=0),
        )
    )
    assert nowhere is None


@pytest.mark.asyncio
async def test_a_missing_secret_key_relates_the_secret_in_another_file(client: LanguageClient):
    path = client.workspace_root / "k8s" / "consumer.yaml"
    uri = open_document(client, path, CONSUMER)
    found = await diagnostics_until(client, uri, has_rule("missing-secret-key"))
    diagnostic = next(d for d in found if d.code == "missing-secret-key")
    line = CONSUMER.splitlines()[diagnostic.range.start.line]
    assert line[diagnostic.range.start.character :].startswith("mongo-url")
    assert "mongodb-url" in diagnostic.message, "a near miss names the key"
    related = diagnostic.related_information
    assert related and related[0].location.uri == (client.workspace_root / "k8s" / "secret.yaml").as_uri()


@pytest.mark.asyncio
async def test_saving_the_config_reloads_rules_and_environments(client: LanguageClient):
    path = client.workspace_root / "k8s" / "pod.yaml"
    uri = open_document(client, path, POD)
    await diagnostics_until(client, uri, has_rule("dockerhub-image-in-china"))
    config = client.workspace_root / ".kubelint.yaml"
    config.write_text(CONFIG + "rules:\n  disable: [dockerhub-image-in-china]\n")
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=config.as_uri()))
    )
    await diagnostics_until(client, uri, lacks_rule("dockerhub-image-in-china"))


@pytest.mark.asyncio
async def test_closing_a_document_clears_its_diagnostics(client: LanguageClient):
    path = client.workspace_root / "k8s" / "pod.yaml"
    uri = open_document(client, path, POD)
    await diagnostics_until(client, uri, has_rule("dockerhub-image-in-china"))
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    await diagnostics_until(client, uri, lambda found: len(found) == 0)



def test_neovim_shows_the_finding_at_its_byte_column_with_hover_and_actions(tmp_path: pathlib.Path):
    nvim = shutil.which("nvim")
    if nvim is None:
        assert os.environ.get("CI") != "true", "CI needs nvim (.ci/lsp.sh installs it)"
        pytest.skip("nvim is not installed")
    (tmp_path / ".kubelint.yaml").write_text(CONFIG)
    (tmp_path / "k8s").mkdir()
    pod = tmp_path / "k8s" / "pod.yaml"
    pod.write_text(POD)
    out = tmp_path / "nvim.json"
    script = pathlib.Path(__file__).with_name("nvim.lua")
    env = dict(os.environ, KUBELINT_BIN=os.path.abspath(KUBELINT), ROOT=str(tmp_path), FILE=str(pod), OUT=str(out))
    subprocess.run(
        [nvim, "--headless", "--clean", "-c", f"luafile {script}"],
        env=env, cwd=tmp_path, timeout=60, check=True, stdin=subprocess.DEVNULL,
    )
    result = json.loads(out.read_text())
    found = [d for d in result["diagnostics"] if d["code"] == "dockerhub-image-in-china"]
    assert found, result
    # Neovim turns the server's UTF-16 columns back into bytes: 日本語 is 9 bytes, 3 units.
    line = POD.splitlines()[5]
    start = len(line[: line.index('"redis')].encode())
    assert (found[0]["lnum"], found[0]["col"]) == (5, start)
    assert found[0]["end_col"] == start + len('"redis:7.2-alpine"')
    assert "dockerhub-image-in-china" in (result["hover"] or "")
    assert "Disable dockerhub-image-in-china for this line" in result["actions"]
    assert "pull `redis:7.2-alpine` through registry.cn-hangzhou.aliyuncs.com" in result["actions"]
