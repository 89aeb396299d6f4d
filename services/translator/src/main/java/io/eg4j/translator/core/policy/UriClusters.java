package io.eg4j.translator.core.policy;

import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import java.net.URI;
import java.util.List;
import java.util.regex.Pattern;

/** Clusters for URLs a policy names directly (a JWKS URI, a Wasm module's URL). */
public final class UriClusters {
  private static final Pattern IP = Pattern.compile("^[0-9.]+$|^\\[?[0-9a-fA-F:]+\\]?$");

  private UriClusters() {}

  private static String sha256Hex(String s) {
    try {
      return java.util.HexFormat.of()
          .formatHex(
              java.security.MessageDigest.getInstance("SHA-256")
                  .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The cluster of a URL: its host and port (443 for https, 80 for http), named {@code
   * <host>_<port>} with dots as underscores, so every policy that names the same server shares one
   * cluster; https verifies the server with the system trust store.
   */
  public static RouteDestinationIr of(URI uri, String scheme) {
    return of(uri, scheme, null);
  }

  /**
   * Like {@link #of(URI, String)}, an https URL verified with the PEM CA bundle {@code caPem}
   * instead of the system trust store when it is not null; such a cluster is named after the
   * bundle's checksum too, so servers verified differently never share one.
   */
  public static RouteDestinationIr of(URI uri, String scheme, String caPem) {
    int port = uri.getPort() > 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
    String host = uri.getHost();
    String name = host.replace('.', '_').replace(':', '_') + "_" + port;
    boolean https = scheme.equals("https");
    if (https && caPem != null) {
      name = name + "_ca_" + sha256Hex(caPem).substring(0, 12);
    }
    RouteDestinationIr.UpstreamTlsIr tls =
        https ? RouteDestinationIr.UpstreamTlsIr.verified(host, caPem, List.of()) : null;
    return new RouteDestinationIr(
        name,
        List.of(
            new DestinationSettingIr(
                name + "/backend/0",
                1,
                "HTTP",
                IP.matcher(host).matches() ? "IP" : "FQDN",
                List.of(new EndpointIr(host.replace("[", "").replace("]", ""), port)),
                tls)));
  }
}
