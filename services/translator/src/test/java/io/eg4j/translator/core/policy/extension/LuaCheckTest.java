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
    assertThat(LuaCheck.check(s, "InsecureSyntax")).contains("'then' expected near 'end'");
    // Disabled still refuses what Envoy cannot compile: it would refuse the whole listener.
    assertThat(LuaCheck.check(s, "Disabled"))
        .contains("'then' expected near 'end'")
        .contains("Lua validation is Disabled, but Envoy compiles every script");
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
}
