package io.eg4j.translator.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The fail-closed walker: which set fields a support list leaves unenforced. */
class FieldSupportTest {
  static Stream<Arguments> cases() {
    List<String> cors = List.of("cors.allowOrigins[]", "cors.maxAge");
    return Stream.of(
        Arguments.of("nothing set", "{}", cors, List.of()),
        Arguments.of(
            "attachment only",
            "{\"targetRefs\":[{\"name\":\"a\"}]}",
            FieldSupport.ATTACHMENT,
            List.of()),
        Arguments.of(
            "covered leaves",
            "{\"cors\":{\"allowOrigins\":[\"a\",\"b\"],\"maxAge\":\"1s\"}}",
            cors,
            List.of()),
        Arguments.of(
            "one leaf not covered",
            "{\"cors\":{\"allowOrigins\":[\"a\"],\"allowCredentials\":true}}",
            cors,
            List.of("spec.cors.allowCredentials")),
        Arguments.of(
            "a whole feature not covered is named once",
            "{\"jwt\":{\"providers\":[{\"name\":\"p\",\"issuer\":\"i\"}]}}",
            cors,
            List.of("spec.jwt")),
        Arguments.of(
            "list items keep their index",
            "{\"jwt\":{\"providers\":[{\"name\":\"p\"},{\"name\":\"q\",\"extra\":1}]}}",
            List.of("jwt.providers[].name"),
            List.of("spec.jwt.providers[1].extra")),
        Arguments.of(
            "a subtree pattern covers everything below",
            "{\"extAuth\":{\"http\":{\"backendRefs\":[{\"name\":\"x\",\"port\":80}]}}}",
            List.of("extAuth.**"),
            List.of()),
        Arguments.of(
            "an empty object counts as set",
            "{\"csrf\":{}}",
            List.of("cors.**"),
            List.of("spec.csrf")),
        Arguments.of(
            "an empty object can be supported", "{\"csrf\":{}}", List.of("csrf"), List.of()),
        Arguments.of(
            "an empty object of enforced members is covered (the feature with its defaults)",
            "{\"retry\":{\"perRetry\":{}}}",
            List.of("retry.numRetries", "retry.perRetry.timeout"),
            List.of()),
        Arguments.of(
            "an empty object is still named when nothing below it is enforced",
            "{\"jwt\":{}}",
            List.of("retry.numRetries"),
            List.of("spec.jwt")),
        Arguments.of("null is not set", "{\"cors\":null}", List.of(), List.of()),
        Arguments.of(
            "field names compare case-insensitively, as Go decodes them",
            "{\"extAuth\":{\"http\":{\"backendRefs\":[{\"Name\":\"x\",\"Port\":80}]}}}",
            List.of("extAuth.http.backendRefs[].name", "extAuth.http.backendRefs[].port"),
            List.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void findsUnenforcedFields(String name, String spec, List<String> supported, List<String> want)
      throws Exception {
    JsonNode node = Json.MAPPER.readTree(spec);
    assertThat(FieldSupport.unsupported(node, supported)).isEqualTo(want);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void messageIsNullOnlyWhenEverythingIsEnforced(
      String name, String spec, List<String> supported, List<String> want) throws Exception {
    String msg =
        FieldSupport.message(FieldSupport.unsupported(Json.MAPPER.readTree(spec), supported));
    if (want.isEmpty()) {
      assertThat(msg).isNull();
    } else {
      assertThat(msg).contains(want.get(0)).contains("not applied");
    }
  }
}
