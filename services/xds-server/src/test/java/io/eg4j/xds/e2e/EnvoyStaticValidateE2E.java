package io.eg4j.xds.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.core.CertGen;
import io.eg4j.xds.core.XdsGoldenCases;
import io.eg4j.xds.core.XdsOutput;
import io.eg4j.xds.testing.EnvoyProcess;
import io.eg4j.xds.testing.TestDynamicModule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real envoy accepts {@link XdsOutput#envoyStatic} for every golden IR: proof that what the
 * translators build (regexes, filter chains, typed configs) is valid Envoy configuration. Envoy
 * loads local dynamic modules while it validates: the test module ({@link TestDynamicModule})
 * stands in for the goldens' {@code @MODULE@} paths.
 */
class EnvoyStaticValidateE2E {
  @TempDir Path dir;
  @TempDir static Path moduleDir;
  private static Path module;

  static Stream<String> cases() throws Exception {
    return XdsGoldenCases.names().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void envoyValidatesTheStaticBootstrap(String name) throws Exception {
    String[] cert = CertGen.serverCertificate(List.of("a.example.com"), Duration.ofDays(1));
    // A certificate stands in for the CA bundles too (Envoy loads, not verifies, them here).
    XdsIr ir =
        XdsGoldenCases.read(
            name,
            "\"@CERT@\"",
            json(cert[0]),
            "\"@KEY@\"",
            json(cert[1]),
            "\"@CA@\"",
            json(cert[0]),
            "\"@CA2@\"",
            json(cert[0]),
            "\"@MODULE@\"",
            json(module().toString()));
    String yaml = XdsOutput.envoyStatic(ir);
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(file, yaml);
    EnvoyProcess.Result r = EnvoyProcess.validate(file);
    assertThat(r.exitCode()).as(r.output()).isZero();
  }

  private static synchronized Path module() throws Exception {
    if (module == null) {
      module = TestDynamicModule.build(moduleDir);
    }
    return module;
  }

  private static String json(String s) throws Exception {
    return io.eg4j.model.bus.Json.MAPPER.writeValueAsString(s);
  }
}
