/**
 * @module stores/embedded-lua
 * EVAL and EVALSHA for the embedded (`memory://`) store: one Lua VM (fengari, the one
 * ioredis-mock ships) per store, each script compiled once and kept by its SHA-1.
 *
 * Why not ioredis-mock's own EVAL: it builds a fresh Lua VM, loads the standard libraries and
 * compiles the script again on every call, about 2-3 ms each. The gateway runs three scripts
 * per request (rate limit, budget hold, settlement), so a quick start on embedded stores spent
 * ~10 ms of CPU per request there and served about a hundred requests a second. Kept and
 * compiled once, a call costs what the script itself does. No library offers an embedded
 * Redis with cached scripts, hence this file.
 *
 * fengari 0.1.5 is patched (`patches/fengari@0.1.5.patch`, applied by pnpm at install): it
 * popped its value stack with `delete stack[i]`, which leaves holes in the array, and V8 reads
 * and writes a holey array far slower; the patch overwrites the slot with undefined instead,
 * the same to every reader. Its `adjust_top` alone had been 19 % of the gateway's CPU on
 * `memory://` (bench/README.md, "The embedded store's Lua").
 *
 * Conversions follow Redis 7: `redis.call` gets integers as numbers, bulk strings as strings,
 * nil as false, arrays as tables and status replies as `{ok = ...}`; a failing command raises
 * `{err = ...}` (or returns it from `redis.pcall`). A script's result goes back as Redis sends
 * it: numbers truncated to integers, true as 1, false and nil as null, a table as an array up
 * to its first nil, `{err}` as an error and `{ok}` as its status text. Scripts run to the end
 * before anything else touches the data, as on a server.
 */
import fengari from 'fengari';
import { CommandError, embeddedCommands, type CommandReply, type MockDataset } from './embedded-commands.js';

const { lua, lauxlib, lualib } = fengari;
type State = fengari.LuaState;

/*
 * Strings cross between JS and Lua here rather than through fengari's to_luastring and
 * lua_tojsstring, which convert one character at a time. Its JS strings are built with `+=`,
 * so one of n characters is a rope of n - 12 V8 cons cells (~32 bytes each) until something
 * flattens it, ~780 bytes for a 40-character string: every value a script wrote (a queued usage
 * record, a hash field) was stored that way, and so was every key the expiry sweeper keeps
 * (embedded-expiry.ts). The native UTF-8 codecs give flat strings, and fresh byte arrays (Lua keeps
 * the array it is given as the string, so it must not be a view of Buffer's shared pool).
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const toLua = (text: string): Uint8Array => encoder.encode(text);
/** Names every script call uses, encoded once (Lua strings are immutable, so one array serves). */
const NAME = { KEYS: toLua('KEYS'), ARGV: toLua('ARGV'), err: toLua('err'), ok: toLua('ok') };
/** The string or number at `index` as JS text (a number is converted in place, as lua_tolstring does). */
const jsString = (L: State, index: number): string => decoder.decode(lua.lua_tolstring(L, index));

/** The `redis` table scripts see, over the JS command bridge `__scaigrid_call`. */
const PRELUDE = `
local call = __scaigrid_call
__scaigrid_call = nil
-- Redis runs Lua 5.1, where unpack is global; fengari is Lua 5.3.
unpack = table.unpack
redis = {
  call = function(...) return call(false, ...) end,
  pcall = function(...) return call(true, ...) end,
  error_reply = function(message) return { err = message } end,
  status_reply = function(message) return { ok = message } end,
}
KEYS, ARGV = {}, {}
-- Scripts share this VM, so one must not leave globals for the next; Redis refuses them too.
setmetatable(_G, { __newindex = function(_, name) error("Script attempted to create global variable '" .. tostring(name) .. "'", 2) end })
`;

/** A script result Redis would send; `{ err }` is thrown instead (see run). */
export type ScriptReply = number | string | null | ScriptReply[];

export class EmbeddedLua {
  private readonly L: State;
  /** SHA-1 → the compiled chunk's reference in the Lua registry. */
  private readonly compiled = new Map<string, number>();
  /** The dataset of the client whose script is running (scripts run one at a time, synchronously). */
  private dataset: MockDataset | undefined;

  constructor() {
    const L = lauxlib.luaL_newstate();
    lualib.luaL_openlibs(L);
    lua.lua_pushjsfunction(L, (state: State) => this.callCommand(state));
    lua.lua_setglobal(L, toLua('__scaigrid_call'));
    if (lauxlib.luaL_dostring(L, toLua(PRELUDE)) !== 0) throw new Error(`embedded Lua prelude failed: ${jsString(L, -1)}`);
    this.L = L;
  }

  /** Compiles `source` under `sha` unless it is already known; throws on a syntax error. */
  load(sha: string, source: string): void {
    if (this.compiled.has(sha)) return;
    const { L } = this;
    const code = toLua(source);
    if (lauxlib.luaL_loadbuffer(L, code, code.length, toLua('@user_script')) !== 0) {
      const message = jsString(L, -1);
      lua.lua_pop(L, 1);
      throw new Error(`ERR Error compiling script: ${message}`);
    }
    this.compiled.set(sha, lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX));
  }

  /** Runs a loaded script on `dataset`; throws what the script raised, as Redis would answer it. */
  run(sha: string, dataset: MockDataset, keys: readonly string[], args: readonly string[]): ScriptReply {
    const ref = this.compiled.get(sha);
    if (ref === undefined) throw new Error('NOSCRIPT No matching script. Please use EVAL.');
    const { L } = this;
    setStringArray(L, 'KEYS', keys);
    setStringArray(L, 'ARGV', args);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, ref);
    this.dataset = dataset;
    try {
      if (lua.lua_pcall(L, 0, 1, 0) !== 0) {
        const message = errorText(L, -1);
        // Redis's errors start with their code (ERR, WRONGTYPE, ...); Lua's own do not.
        throw new Error(/^[A-Z]+ /.test(message) ? message : `ERR ${message}`);
      }
      return toReply(L, -1);
    } finally {
      this.dataset = undefined;
      lua.lua_settop(L, 0);
    }
  }

  /** `__scaigrid_call(protected, name, ...args)`: runs one command and pushes its reply. */
  private callCommand(L: State): number {
    const isProtected = lua.lua_toboolean(L, 1);
    const count = lua.lua_gettop(L);
    let failure: string;
    try {
      if (count < 2) throw new CommandError('ERR Please specify at least one argument for this redis lib call');
      const args: string[] = [];
      for (let i = 2; i <= count; i++) args.push(argumentText(L, i));
      const name = args[0].toLowerCase();
      const command = Object.hasOwn(embeddedCommands, name) ? embeddedCommands[name] : undefined;
      if (!command) throw new CommandError(`ERR unknown command '${args[0]}': the embedded store runs only the commands in embedded-commands.ts`);
      pushReply(L, command(this.dataset!, args.slice(1)));
      return 1;
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
    pushReplyTable(L, 'err', failure);
    if (isProtected) return 1;
    return lua.lua_error(L);
  }
}

function setStringArray(L: State, name: 'KEYS' | 'ARGV', values: readonly string[]): void {
  lua.lua_createtable(L, values.length, 0);
  for (let i = 0; i < values.length; i++) {
    lua.lua_pushstring(L, toLua(values[i]));
    lua.lua_rawseti(L, -2, i + 1);
  }
  lua.lua_setglobal(L, NAME[name]);
}

/** A command argument as Redis takes it from Lua: a string, or a number in its shortest form. */
function argumentText(L: State, index: number): string {
  const type = lua.lua_type(L, index);
  if (type === lua.LUA_TSTRING) return jsString(L, index);
  if (type === lua.LUA_TNUMBER) return String(lua.lua_tonumber(L, index));
  throw new CommandError('ERR Lua redis lib command arguments must be strings or integers');
}

function pushReply(L: State, reply: CommandReply): void {
  if (reply === null) lua.lua_pushboolean(L, false);
  else if (typeof reply === 'number') lua.lua_pushinteger(L, reply);
  else if (typeof reply === 'string') lua.lua_pushstring(L, toLua(reply));
  else if (Array.isArray(reply)) {
    lua.lua_createtable(L, reply.length, 0);
    reply.forEach((item, i) => {
      pushReply(L, item);
      lua.lua_rawseti(L, -2, i + 1);
    });
  } else pushReplyTable(L, 'ok', reply.ok);
}

/** Redis's `{err = text}` or `{ok = text}` reply table. */
function pushReplyTable(L: State, field: 'err' | 'ok', text: string): void {
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushstring(L, toLua(text));
  lua.lua_setfield(L, -2, NAME[field]);
}

/** The string in field `err` or `ok` of the table at `index`, if it holds one; the stack is left as it was. */
function replyTableText(L: State, index: number, field: 'err' | 'ok'): string | undefined {
  const text = lua.lua_getfield(L, index, NAME[field]) === lua.LUA_TSTRING ? jsString(L, -1) : undefined;
  lua.lua_pop(L, 1);
  return text;
}

/** The text of a raised error: a `{err = ...}` table's message, or the value as a string. */
function errorText(L: State, index: number): string {
  if (lua.lua_type(L, index) === lua.LUA_TTABLE) return replyTableText(L, index, 'err') ?? 'script raised a table without err';
  return lua.lua_type(L, index) === lua.LUA_TSTRING || lua.lua_type(L, index) === lua.LUA_TNUMBER ? jsString(L, index) : 'script error';
}

/** The value at `index` as Redis would reply it (see the module doc). */
function toReply(L: State, index: number): ScriptReply {
  const at = lua.lua_absindex(L, index);
  switch (lua.lua_type(L, at)) {
    case lua.LUA_TNUMBER:
      return Math.trunc(lua.lua_tonumber(L, at));
    case lua.LUA_TSTRING:
      return jsString(L, at);
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(L, at) ? 1 : null;
    case lua.LUA_TTABLE: {
      const error = replyTableText(L, at, 'err');
      if (error !== undefined) throw new Error(error);
      const status = replyTableText(L, at, 'ok');
      if (status !== undefined) return status;
      const out: ScriptReply[] = [];
      for (let i = 1; lua.lua_rawgeti(L, at, i) !== lua.LUA_TNIL; i++) {
        out.push(toReply(L, -1));
        lua.lua_pop(L, 1);
      }
      lua.lua_pop(L, 1);
      return out;
    }
    default:
      return null;
  }
}
