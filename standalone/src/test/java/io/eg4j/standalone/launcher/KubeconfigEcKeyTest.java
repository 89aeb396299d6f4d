package io.eg4j.standalone.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.internal.SSLUtils;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./eg4j run --kubeconfig} with a client certificate whose key is EC in SEC1 form ("EC
 * PRIVATE KEY", as k3s writes kubeconfigs): fabric8 reads such a key only through BouncyCastle,
 * which the launcher's class path carries for that alone.
 */
class KubeconfigEcKeyTest {

  private static void openssl(Path dir, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("openssl %s: %s", cmd, out).isZero();
  }

  @Test
  void anEcClientKeyInSec1FormGivesAKeyManager(@TempDir Path tmp) throws Exception {
    openssl(tmp, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "client.key");
    openssl(
        tmp,
        "req",
        "-new",
        "-x509",
        "-key",
        "client.key",
        "-subj",
        "/CN=k3s-admin",
        "-days",
        "1",
        "-out",
        "client.crt");
    String key = Files.readString(tmp.resolve("client.key"));
    assertThat(key).startsWith("-----BEGIN EC PRIVATE KEY-----");

    Config config = Config.empty();
    config.setClientCertData(b64(Files.readString(tmp.resolve("client.crt"))));
    config.setClientKeyData(b64(key));
    config.setClientKeyAlgo("EC");
    KeyManager[] managers = SSLUtils.keyManagers(config);

    assertThat(managers).isNotEmpty();
    X509KeyManager km = (X509KeyManager) managers[0];
    String alias = km.chooseClientAlias(new String[] {"EC"}, null, null);
    assertThat(alias).isNotNull();
    assertThat(km.getPrivateKey(alias).getAlgorithm()).isEqualTo("EC");
    assertThat(km.getCertificateChain(alias)[0].getSubjectX500Principal().getName())
        .isEqualTo("CN=k3s-admin");
  }

  private static String b64(String pem) {
    return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
  }
}
