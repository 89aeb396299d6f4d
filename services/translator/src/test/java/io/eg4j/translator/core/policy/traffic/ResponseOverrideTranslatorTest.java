package io.eg4j.translator.core.policy.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.eg4j.model.ir.traffic.TrafficIr.ResponseOverrideIr;
import io.eg4j.model.ir.traffic.TrafficIr.ResponseOverrideIr.HeaderMatchIr;
import io.eg4j.model.ir.traffic.TrafficIr.ResponseOverrideIr.RedirectIr;
import io.eg4j.translator.core.policy.FieldSupport;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code spec.responseOverride}: matches, redirects, headers and sources, and what is refused. */
class ResponseOverrideTranslatorTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static List<ResponseOverrideIr> translate(String yaml) throws Exception {
    return ResponseOverrideTranslator.translate(YAML.createObjectNode(), YAML.readTree(yaml), null);
  }

  private static String refusal(String yaml) throws Exception {
    JsonNode spec = YAML.readTree(yaml);
    try {
      ResponseOverrideTranslator.translate(YAML.createObjectNode(), spec, null);
    } catch (PolicyException e) {
      return e.getMessage();
    }
    throw new AssertionError("accepted: " + yaml);
  }

  @Test
  void aRedirectKeepsItsPartsAndDefaultsTo302() throws Exception {
    List<ResponseOverrideIr> out =
        translate(
            """
            responseOverride:
            - match:
                statusCodes: [{value: 404}, {type: Range, range: {start: 500, end: 502}}]
              redirect:
                scheme: https
                hostname: errors.example.com
                port: 8443
                path: {type: ReplaceFullPath, replaceFullPath: /oops}
            - match:
                statusCodes: [{value: 403}]
              redirect:
                path: {type: ReplaceFullPath, replaceFullPath: /login}
                statusCode: 301
            """);
    assertThat(out.get(0).statusCodes()).containsExactly(404, 500, 501, 502);
    assertThat(out.get(0).redirect())
        .isEqualTo(new RedirectIr("https", "errors.example.com", 8443, "/oops", 302));
    assertThat(out.get(0).body()).isNull();
    assertThat(out.get(1).redirect()).isEqualTo(new RedirectIr(null, null, null, "/login", 301));
  }

  @Test
  void responseHeadersMatchAloneOrWithStatusCodes() throws Exception {
    List<ResponseOverrideIr> out =
        translate(
            """
            responseOverride:
            - match:
                responseHeaders:
                - {name: x-error, value: {value: quota}}
                - {name: x-kind, value: {type: RegularExpression, value: "^(a|b)$"}}
              response: {body: {inline: over quota}}
            - match:
                statusCodes: [{value: 500}]
                responseHeaders: [{name: x-retry, value: {type: Prefix, value: "no"}}]
              source: Backend
              response: {statusCode: 503}
            """);
    assertThat(out.get(0).statusCodes()).isEmpty();
    assertThat(out.get(0).responseHeaders())
        .containsExactly(
            new HeaderMatchIr("x-error", "Exact", "quota"),
            new HeaderMatchIr("x-kind", "RegularExpression", "^(a|b)$"));
    assertThat(out.get(0).source()).isNull();
    assertThat(out.get(1).statusCodes()).containsExactly(500);
    assertThat(out.get(1).responseHeaders())
        .containsExactly(new HeaderMatchIr("x-retry", "Prefix", "no"));
    assertThat(out.get(1).source()).isEqualTo("Backend");
  }

  @Test
  void sourceAllIsTheDefaultAndLocalIsKept() throws Exception {
    List<ResponseOverrideIr> out =
        translate(
            """
            responseOverride:
            - match: {statusCodes: [{value: 503}]}
              source: All
              response: {statusCode: 502}
            - match: {statusCodes: [{value: 401}]}
              source: Local
              response: {body: {inline: who are you}}
            """);
    assertThat(out).extracting(ResponseOverrideIr::source).containsExactly(null, "Local");
    assertThat(
            refusal(
                "responseOverride: [{match: {statusCodes: [{value: 401}]}, source: Peer,"
                    + " response: {statusCode: 500}}]"))
        .contains("spec.responseOverride[0].source: unknown source Peer");
  }

  @Test
  void headerRemovalAndPrefixRewritesAreRefusedWithTheReason() throws Exception {
    assertThat(
            refusal(
                """
                responseOverride:
                - match: {statusCodes: [{value: 404}]}
                  response:
                    header:
                      add: [{name: x-a, value: b}]
                      remove: [server]
                """))
        .startsWith("spec.responseOverride[0].response.header.remove:")
        .contains("not remove");
    assertThat(
            refusal(
                """
                responseOverride:
                - match: {statusCodes: [{value: 404}]}
                  redirect:
                    path: {type: ReplacePrefixMatch, replacePrefixMatch: /x}
                """))
        .startsWith("spec.responseOverride[0].redirect.path.replacePrefixMatch:")
        .contains("prefix rewrite");
    // Neither is the generic "not supported yet" refusal.
    assertThat(
            FieldSupport.isUnsupported(
                refusal(
                    "responseOverride: [{match: {statusCodes: [{value: 404}]},"
                        + " redirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /x}}}]")))
        .isFalse();
  }

  @Test
  void invalidOverridesAreRefused() throws Exception {
    assertThat(refusal("responseOverride: [{match: {}, response: {statusCode: 500}}]"))
        .contains("at least one of statusCodes or responseHeaders");
    assertThat(
            refusal(
                "responseOverride: [{match: {statusCodes: [{value: 404}]}, response: {statusCode:"
                    + " 500}, redirect: {statusCode: 302}}]"))
        .contains("exactly one of response or redirect");
    assertThat(
            refusal(
                "responseOverride: [{match: {statusCodes: [{value: 404}]}, redirect: {statusCode: 307}}]"))
        .contains("redirect.statusCode: must be 301 or 302");
    assertThat(
            refusal(
                "responseOverride: [{match: {responseHeaders: [{name: x, value: {type:"
                    + " RegularExpression, value: '(a'}}]}, response: {statusCode: 500}}]"))
        .contains("match.responseHeaders[0].value: invalid regular expression");
    assertThat(
            refusal(
                "responseOverride: [{match: {responseHeaders: [{name: 'bad name', value: {value:"
                    + " a}}]}, response: {statusCode: 500}}]"))
        .contains("invalid header name");
    assertThat(
            refusal(
                "responseOverride: [{match: {statusCodes: [{value: 404}]}, redirect: {hostname:"
                    + " Not_A_Host}}]"))
        .contains("redirect.hostname: invalid hostname");
  }

  @Test
  void everyEnforcedFieldIsInTheSupportedList() throws Exception {
    ObjectNode spec =
        (ObjectNode)
            YAML.readTree(
                """
                responseOverride:
                - match:
                    statusCodes: [{type: Value, value: 404}]
                    responseHeaders: [{name: x, value: {type: Exact, value: y}}]
                  source: Backend
                  redirect:
                    scheme: http
                    hostname: a.example
                    port: 80
                    path: {type: ReplaceFullPath, replaceFullPath: /b}
                    statusCode: 302
                - match: {statusCodes: [{value: 500}]}
                  response:
                    contentType: text/plain
                    statusCode: 503
                    body: {type: Inline, inline: x}
                    header:
                      add: [{name: a, value: b}]
                      set: [{name: c, value: d}]
                """);
    assertThat(FieldSupport.unsupported(spec, BackendTrafficPolicyTranslator.SUPPORTED)).isEmpty();
    assertThat(ResponseOverrideTranslator.translate(YAML.createObjectNode(), spec, null))
        .hasSize(2);
  }
}
