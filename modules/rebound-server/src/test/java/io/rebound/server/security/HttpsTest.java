package io.rebound.server.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.rebound.core.config.ReboundConfigException;
import io.rebound.server.node.NodeServer;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS from a PKCS12 keystore generated here with the JDK's keytool. */
class HttpsTest {
  private static final String PASSWORD = "changeit-test-only";

  @TempDir Path dir;

  private Path keystore() throws Exception {
    Path ks = dir.resolve("node.p12");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
        "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
        "-storetype", "PKCS12", "-keystore", ks.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    return ks;
  }

  /** A client that trusts exactly the node's certificate. */
  private static HttpClient trusting(Path ks) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      store.load(in, PASSWORD.toCharArray());
    }
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("node", store.getCertificate("node"));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10)).build();
  }

  @Test
  void theApiServesHttpsFromAPkcs12KeystoreAndPlainHttpIsNotAnswered() throws Exception {
    Path ks = keystore();
    try (NodeServer node = NodeServer.start(ConfigFactory.parseString("""
        rebound.data-dir = "%s"
        rebound.http.port = 0
        rebound.http.tls { keystore = "%s", password = "%s" }
        pekko.management.http.port = 0
        pekko.coordinated-shutdown.exit-jvm = off
        rebound.queues.work { handler.type = simulated }
        """.formatted(p(dir.resolve("data")), p(ks), PASSWORD)))) {
      assertTrue(node.url().startsWith("https://"), node.url());
      HttpResponse<String> r = trusting(ks).send(HttpRequest.newBuilder(URI.create(node.url() + "/v1/queues")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(r.body().contains("\"work\""), r.body());
      String plain = node.url().replace("https://", "http://");
      assertThrows(java.io.IOException.class, () -> HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
          .send(HttpRequest.newBuilder(URI.create(plain + "/v1/queues")).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString()));
    }
  }

  @Test
  void aWrongPasswordNamesTheKeystoreKeyAndNotThePassword() throws Exception {
    Path ks = keystore();
    ReboundConfigException e = assertThrows(ReboundConfigException.class, () -> TlsSettings.from(ConfigFactory.parseString(
        "rebound.http.tls { keystore = \"%s\", password = \"wrong-password-xyz\", type = PKCS12 }".formatted(p(ks)))));
    assertEquals("rebound.http.tls.keystore", e.key());
    assertTrue(!e.getMessage().contains("wrong-password-xyz"), e.getMessage());
  }

  private static String p(Path path) {
    return path.toString().replace("\\", "/");
  }
}
