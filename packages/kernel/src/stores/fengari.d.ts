/** The part of fengari (Lua 5.3 in JavaScript; no types of its own) that embedded-lua.ts uses. */
declare module 'fengari' {
  namespace fengari {
    type LuaState = { readonly __luaState: unique symbol };
    type LuaString = Uint8Array;
  }
  const fengari: {
    lua: {
      LUA_REGISTRYINDEX: number;
      LUA_TNIL: number;
      LUA_TBOOLEAN: number;
      LUA_TNUMBER: number;
      LUA_TSTRING: number;
      LUA_TTABLE: number;
      lua_absindex(L: fengari.LuaState, index: number): number;
      lua_createtable(L: fengari.LuaState, arraySize: number, recordSize: number): void;
      lua_error(L: fengari.LuaState): never;
      lua_getfield(L: fengari.LuaState, index: number, key: fengari.LuaString): number;
      lua_gettop(L: fengari.LuaState): number;
      lua_pcall(L: fengari.LuaState, args: number, results: number, handler: number): number;
      lua_pop(L: fengari.LuaState, count: number): void;
      lua_pushboolean(L: fengari.LuaState, value: boolean): void;
      lua_pushinteger(L: fengari.LuaState, value: number): void;
      lua_pushjsfunction(L: fengari.LuaState, fn: (L: fengari.LuaState) => number): void;
      lua_pushstring(L: fengari.LuaState, value: fengari.LuaString): void;
      lua_rawgeti(L: fengari.LuaState, index: number, n: number): number;
      lua_rawseti(L: fengari.LuaState, index: number, n: number): void;
      lua_setfield(L: fengari.LuaState, index: number, key: fengari.LuaString): void;
      lua_setglobal(L: fengari.LuaState, name: fengari.LuaString): void;
      lua_settop(L: fengari.LuaState, index: number): void;
      lua_toboolean(L: fengari.LuaState, index: number): boolean;
      /** The string (or number, converted in place) at `index` as the bytes Lua holds. */
      lua_tolstring(L: fengari.LuaState, index: number): fengari.LuaString;
      lua_tonumber(L: fengari.LuaState, index: number): number;
      lua_type(L: fengari.LuaState, index: number): number;
    };
    lauxlib: {
      luaL_newstate(): fengari.LuaState;
      luaL_dostring(L: fengari.LuaState, code: fengari.LuaString): number;
      luaL_loadbuffer(L: fengari.LuaState, code: fengari.LuaString, size: number, name: fengari.LuaString): number;
      luaL_ref(L: fengari.LuaState, table: number): number;
    };
    lualib: { luaL_openlibs(L: fengari.LuaState): void };
  };
  export default fengari;
}
