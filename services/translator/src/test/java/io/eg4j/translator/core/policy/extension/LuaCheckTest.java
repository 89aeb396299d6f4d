package io.eg4j.translator.core.policy.extension;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LuaCheckTest {
  private static final String GOOD =
      """
      -- end in a comment, and in a string: "end"
      local prefix = [==[ if then end ]==]
      function envoy_on_request(handle)
        if handle:headers():get("x") == "end" then
          for i = 1, 3 do
            handle:logInfo(prefix .. i)
          end
        elseif true then
          while false do end
        else
          repeat local x = 1 until true
        end
      end
      """;

  @Test
  void wellFormedScriptsPass() {
    assertThat(LuaCheck.check(GOOD, "Strict")).isNull();
    assertThat(LuaCheck.check(GOOD, "InsecureSyntax")).isNull();
  }

  @Test
  void missingThenIsASyntaxError() {
    String s = "function envoy_on_response(r)\n  if 1 > 0\n    print('x')\n  end\nend\n";
    // As Lua (and so Envoy) says it: the name after the complete condition.
    assertThat(LuaCheck.check(s, "InsecureSyntax")).contains("'then' expected near 'print'");
    // Disabled still refuses what Envoy cannot compile: it would refuse the whole listener.
    assertThat(LuaCheck.check(s, "Disabled"))
        .contains("'then' expected near 'print'")
        .contains("Lua validation is Disabled, but Envoy compiles every script");
    // A statement where the condition should have ended: Lua's own error.
    String noThen =
        "function envoy_on_response(h)\n  if h:headers():get(\"x\") == \"y\"\n"
            + "    print(\"z\")\n  end\nend\n";
    assertThat(LuaCheck.check(noThen, "Disabled")).contains("line 3: 'then' expected near 'print'");
    String fine =
        "function envoy_on_response(h)\n  for k, v in pairs(t) do print(k) end\n"
            + "  if not x and t[1] ~= nil or f \"s\" then h:logInfo(#t) end\n"
            + "  while (a.b):c(x) do end\nend\n";
    assertThat(LuaCheck.check(fine, "InsecureSyntax")).isNull();
    // What only Strict asks (entry points, the handle API) is not checked when Disabled.
    assertThat(LuaCheck.check("local x = 1\n", "Disabled")).isNull();
    assertThat(LuaCheck.check("local x = 1\n", "Strict")).isNotNull();
  }

  @Test
  void unbalancedBlocksAndStringsAreSyntaxErrors() {
    assertThat(LuaCheck.check("function envoy_on_request(h)\n", "InsecureSyntax"))
        .contains("'end' expected");
    assertThat(LuaCheck.check("function envoy_on_request(h) end end", "InsecureSyntax"))
        .contains("unexpected 'end'");
    assertThat(LuaCheck.check("local s = 'open\nfunction envoy_on_request(h) end", "Strict"))
        .contains("unfinished string");
    assertThat(LuaCheck.check("--[[ never closed\n", "InsecureSyntax")).contains("unfinished");
  }

  @Test
  void strictNeedsAnEntryPointAndKnownHandleMethods() {
    assertThat(LuaCheck.check("local x = 1", "Strict")).contains("envoy_on_request()");
    assertThat(LuaCheck.check("local x = 1", "InsecureSyntax")).isNull();
    String unknown = "function envoy_on_response(r)\n  r:UnknownApi()\nend\n";
    assertThat(LuaCheck.check(unknown, "Strict")).contains("r:UnknownApi");
    assertThat(LuaCheck.check(unknown, "InsecureSyntax")).isNull();
    // Methods of other objects (the body, headers) are not the handle's.
    assertThat(
            LuaCheck.check("function envoy_on_response(r) r:body():getBytes(0, 1) end", "Strict"))
        .isNull();
  }

  @Test
  void aChunkLevelRequireOfAModuleLuaJitLacksIsRefusedAtEveryLevel() {
    String json = "local json = require(\"json\")\nfunction envoy_on_request(h) end\n";
    for (String level : new String[] {"Strict", "InsecureSyntax", "Disabled"}) {
      assertThat(LuaCheck.check(json, level))
          .as(level)
          .contains("line 1: require(\"json\")")
          .contains("no module \"json\"");
    }
    // Call without parentheses, single quotes and long brackets are the same call.
    assertThat(
            LuaCheck.check("local c = require 'cjson'\nfunction envoy_on_request(h) end", "Strict"))
        .contains("require(\"cjson\")");
    assertThat(
            LuaCheck.check(
                "local c = require [[lpeg]]\nfunction envoy_on_request(h) end", "Strict"))
        .contains("require(\"lpeg\")");
    // Top-level blocks still run at load time.
    assertThat(
            LuaCheck.check(
                "if true then\n  local j = require('json')\nend\nfunction envoy_on_request(h) end",
                "InsecureSyntax"))
        .contains("line 2");
    assertThat(
            LuaCheck.check(
                "for i = 1, 2 do local j = require('json') end\nfunction envoy_on_request(h) end",
                "InsecureSyntax"))
        .contains("line 1");
  }

  @Test
  void builtInModulesAndRequiresInsideFunctionsPass() {
    for (String module :
        new String[] {"string", "table", "math", "bit", "jit", "ffi", "jit.util"}) {
      assertThat(
              LuaCheck.check(
                  "local m = require(\"" + module + "\")\nfunction envoy_on_request(h) end",
                  "Strict"))
          .as(module)
          .isNull();
    }
    // Inside a function, require runs per request (a Lua error for that request), not at load.
    String lazy =
        """
        local function decode(s)
          local json = require("json")
          return json.decode(s)
        end
        function envoy_on_response(h)
          for i = 1, 2 do
            h:logInfo("x")
          end
        end
        local after = require("string")
        """;
    assertThat(LuaCheck.check(lazy, "Strict")).isNull();
    // After a function closes, the chunk level is reached again.
    assertThat(LuaCheck.check(lazy + "local j = require('json')\n", "Strict"))
        .contains("line 11: require(\"json\")");
    // A name that merely contains "require" or a computed module name is not checked.
    assertThat(
            LuaCheck.check(
                "local requires = 1\nlocal name = 'j'\nlocal ok = pcall(require, name)\n"
                    + "function envoy_on_request(h) end",
                "Strict"))
        .isNull();
  }
}
