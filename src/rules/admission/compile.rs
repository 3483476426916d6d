//! Compiling a CEL expression so that no expression can crash kubelint. cel's parser, its
//! evaluator and the drop of its tree all recurse once per level of nesting, and a level costs
//! a few hundred bytes of stack in a release build, kilobytes in a debug one: 20,000 terms of
//! `1 + 1 + …` overflowed the main thread's 8 MiB parsing them, 3,000 the 2 MiB of a worker
//! thread evaluating them. So a long expression is parsed on a thread whose stack grows with
//! its length, and one that nests deeper than evaluation may is refused there, tree and all.

use cel::common::ast::{EntryExpr, Expr, MapExpr, StructExpr};
use cel::{IdedExpr, Program};

/// cel-go's default limit on an expression's size, in code points: the API server's CEL
/// refuses a longer one, and parsing it would take seconds.
const MAX_CODE_POINTS: usize = 100_000;

/// The deepest nesting evaluated. A level of evaluation takes about 700 bytes of stack in a
/// release build, so any thread holds it; a debug build's 40 KiB need the command's workers'
/// `WORKER_STACK_BYTES` (`deepest_evaluated_nesting_fits_a_worker_threads_stack`). cel-go
/// refuses 250 levels of one operator; real policies nest a few dozen.
pub(super) const MAX_DEPTH: usize = 100;

/// An expression this long nests at most as many levels, which any thread's stack holds.
const INLINE_BYTES: usize = 256;

/// Stack for parsing, per byte of the expression, over a worker's whole stack: a level of
/// nesting takes two bytes at least (`1+`, `.b`), and a debug build parses 40,000 such
/// levels in the 80 MiB this adds. The base holds the parser's own depth for any expression
/// (gateway-api's safe-upgrades rule, a few hundred bytes, overflowed what its length alone
/// gave a debug build).
const STACK_PER_BYTE: usize = 1024;

/// Compiles `source`; a failure says why, a parse error as the first one (cel's message, with
/// the line and a caret) and how many follow. cel's whole message repeats the line and a
/// caret for every error, so one long line of broken CEL cost the square of its length:
/// 8,000 times `1 + ) ` (48 KB) took 1.7 s and 1.2 GB to describe.
pub(super) fn compile(env: &cel::Env, source: &str) -> Result<Program, String> {
    let size = source.chars().count();
    if size > MAX_CODE_POINTS {
        return Err(format!(
            "it is {size} characters long, over cel-go's limit of {MAX_CODE_POINTS}"
        ));
    }
    if source.len() <= INLINE_BYTES {
        return compile_here(env, source);
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("kubelint-cel".into())
            .stack_size(crate::check::WORKER_STACK_BYTES + source.len() * STACK_PER_BYTE)
            .spawn_scoped(scope, || compile_here(env, source))
            .map_err(|e| format!("no thread to parse it on: {e}"))?
            .join()
            .unwrap_or_else(|_| Err("the parser failed".into()))
    })
}

fn compile_here(env: &cel::Env, source: &str) -> Result<Program, String> {
    let program = env.compile(source).map_err(|parse| {
        let first = parse.errors.first();
        let mut message = format!(
            "it does not compile: {}",
            first.map_or_else(|| "no parse".to_string(), ToString::to_string)
        );
        if parse.errors.len() > 1 {
            message.push_str(&format!("\n({} more errors)", parse.errors.len() - 1));
        }
        message
    })?;
    let depth = depth(program.expression());
    if depth > MAX_DEPTH {
        // Dropped here, on the stack that built it.
        return Err(format!(
            "it nests {depth} levels deep; kubelint evaluates at most {MAX_DEPTH}"
        ));
    }
    Ok(program)
}

/// How many levels the tree nests, found without recursion.
fn depth(root: &IdedExpr) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(root, 1)];
    while let Some((node, level)) = pending.pop() {
        deepest = deepest.max(level);
        let below = level + 1;
        match &node.expr {
            Expr::Call(call) => {
                pending.extend(call.target.as_deref().map(|t| (t, below)));
                pending.extend(call.args.iter().map(|a| (a, below)));
            }
            Expr::Comprehension(c) => {
                let parts = [
                    &c.iter_range,
                    &c.accu_init,
                    &c.loop_cond,
                    &c.loop_step,
                    &c.result,
                ];
                pending.extend(parts.map(|part| (part, below)));
            }
            Expr::List(list) => pending.extend(list.elements.iter().map(|e| (e, below))),
            Expr::Map(MapExpr { entries }) | Expr::Struct(StructExpr { entries, .. }) => {
                for entry in entries {
                    match &entry.expr {
                        EntryExpr::MapEntry(e) => {
                            pending.extend([(&e.key, below), (&e.value, below)])
                        }
                        EntryExpr::StructField(f) => pending.push((&f.value, below)),
                    }
                }
            }
            Expr::Select(select) => pending.push((&select.operand, below)),
            Expr::Unspecified | Expr::Ident(_) | Expr::Literal(_) => {}
        }
    }
    deepest
}
