package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * SecurityPolicy authorization by client geolocation through the real envoy: MaxMind City and
 * Anonymous-IP databases written by the test ({@code tools/test-mmdb.py}), the EnvoyProxy geoIP
 * provider naming them, a ClientTrafficPolicy that takes the client address from a custom header,
 * and rules by country, city and anonymity flags. A client cannot claim a location by sending the
 * internal headers itself, and backends never see them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecurityGeoIpE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;

  @BeforeAll
  void start() throws Exception {
    Path city =
        database(
            "GeoIP2-City",
            """
            {"81.2.69.0/24": {"country": {"iso_code": "GB"}, "city": {"names": {"en": "London"}}},
             "81.2.70.0/24": {"country": {"iso_code": "GB"}, "city": {"names": {"en": "London"}}},
             "2.125.160.0/24": {"country": {"iso_code": "US"}, "city": {"names": {"en": "Seattle"}}}}
            """);
    Path anonymous =
        database(
            "GeoIP2-Anonymous-IP",
            """
            {"81.2.70.0/24": {"is_anonymous": true, "is_anonymous_vpn": true},
             "2.125.160.0/24": {"is_anonymous": true, "is_public_proxy": true}}
            """);
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    String gateway =
        stack
            .gateway()
            .replace(
                "  controllerName: gateway.envoyproxy.io/gatewayclass-controller\n",
                """
                  controllerName: gateway.envoyproxy.io/gatewayclass-controller
                  parametersRef:
                    group: gateway.envoyproxy.io
                    kind: EnvoyProxy
                    namespace: default
                    name: geo
                """);
    assertThat(gateway).contains("parametersRef");
    StringBuilder yaml =
        new StringBuilder(gateway + "---\n" + PolicyStack.service("echo", echo.port()));
    for (String r : new String[] {"geo", "open"}) {
      yaml.append(PolicyStack.route(r, "echo"));
    }
    yaml.append(
        """
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: EnvoyProxy
        metadata: {namespace: default, name: geo}
        spec:
          geoIP:
            provider:
              type: MaxMind
              maxMind:
                cityDbSource: {local: {path: %s}}
                anonymousIpDbSource: {local: {path: %s}}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: ClientTrafficPolicy
        metadata: {namespace: default, name: client-ip}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
          clientIPDetection:
            customHeader: {name: x-real-client-ip}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: SecurityPolicy
        metadata: {namespace: default, name: geo}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: geo}]
          authorization:
            defaultAction: Deny
            rules:
            - name: seattle-proxies
              action: Allow
              principal:
                clientIPGeoLocations:
                - {country: US, city: Seattle, anonymous: {isProxy: true}}
            - name: london-without-vpn
              action: Allow
              principal:
                clientIPGeoLocations:
                - {country: gb, city: london, anonymous: {isVPN: false}}
        """
            .formatted(city, anonymous));
    stack.apply(yaml.toString());
    stack.await(
        "a London client without VPN is allowed", () -> from("81.2.69.7", "/geo").status() == 200);
  }

  private static Path database(String type, String networks) throws Exception {
    Path json = Files.writeString(dir.resolve(type + ".json"), networks);
    Path out = dir.resolve(type + ".mmdb");
    Path tool = Path.of("").toAbsolutePath().getParent().resolve("tools/test-mmdb.py");
    assertThat(tool).exists();
    Process p =
        new ProcessBuilder("python3", tool.toString(), out.toString(), type, json.toString())
            .inheritIO()
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    return out;
  }

  private Http.Response from(String client, String path, String... headers) {
    String[] all = new String[headers.length + 2];
    all[0] = "x-real-client-ip";
    all[1] = client;
    System.arraycopy(headers, 0, all, 2, headers.length);
    return Http.get(stack.port(), "x.test", path, all);
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
    if (echo != null) {
      echo.close();
    }
  }

  @Test
  void rulesMatchTheClientLocation() {
    assertThat(from("2.125.160.9", "/geo/a").status()).as("Seattle, a public proxy").isEqualTo(200);
    assertThat(from("81.2.69.7", "/geo/a").status()).as("London, no VPN").isEqualTo(200);
    assertThat(from("81.2.70.7", "/geo/a").status()).as("London, a VPN").isEqualTo(403);
    assertThat(from("1.1.1.1", "/geo/a").status())
        .as("not in the databases: the default action")
        .isEqualTo(403);
  }

  @Test
  void aClientCannotClaimALocation() {
    assertThat(
            from(
                    "1.1.1.1",
                    "/geo/a",
                    "x-eg-internal-geoip-country",
                    "GB",
                    "x-eg-internal-geoip-city",
                    "London")
                .status())
        .isEqualTo(403);
  }

  @Test
  void backendsNeverSeeTheInternalHeaders() {
    Http.Response allowed = from("81.2.69.7", "/geo/a");
    assertThat(allowed.status()).isEqualTo(200);
    assertThat(allowed.body()).contains("/geo/a").doesNotContain("x-eg-internal-geoip");
    Http.Response open = from("81.2.69.7", "/open/a", "x-eg-internal-geoip-country", "GB");
    assertThat(open.status()).as("a route without the policy").isEqualTo(200);
    assertThat(open.body()).doesNotContain("x-eg-internal-geoip");
  }
}
