package io.rebound.server.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.rebound.core.config.ReboundConfigException;
import io.rebound.server.node.NodeServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthSettingsTest {
  private static final String SECRET = "s3cret-value-0123456789";

  @TempDir Path dir;

  private static AuthSettings parse(String hocon) {
    return AuthSettings.from(ConfigFactory.parseString(hocon).resolve());
  }

  private static ReboundConfigException failure(String hocon) {
    return assertThrows(ReboundConfigException.class, () -> parse(hocon));
  }

  @Test
  void noTokensLeaveTheApiOpen() {
    assertFalse(parse("rebound.http.auth.tokens = []").enabled());
    assertFalse(parse("").enabled());
  }

  @Test
  void tokensComeInlineOrFromAFileEachWithItsRole() throws Exception {
    Path file = Files.writeString(dir.resolve("t"), "from-a-file-0123456789\n");
    AuthSettings a = parse("rebound.http.auth.tokens = [{token = \"%s\", role = viewer}, {token-file = \"%s\", role = Operator}]"
        .formatted(SECRET, file.toString().replace("\\", "/")));
    assertEquals(Role.VIEWER, a.authenticate(SECRET).orElseThrow().role());
    assertEquals(Role.OPERATOR, a.authenticate("from-a-file-0123456789").orElseThrow().role());
    assertTrue(a.authenticate(SECRET + "x").isEmpty());
    assertTrue(a.authenticate("").isEmpty());
  }

  @Test
  void anEntryWhoseEnvironmentVariableIsUnsetIsSkipped() {
    AuthSettings a = parse("rebound.http.auth.tokens = [{token = ${?REBOUND_TEST_UNSET_VARIABLE_X}, role = operator}, "
        + "{token = \"%s\", role = viewer}]".formatted(SECRET));
    assertTrue(a.enabled());
    assertEquals(Role.VIEWER, a.authenticate(SECRET).orElseThrow().role());
  }

  @Test
  void tokensWhoseEveryEntryIsSkippedRefuseToRunOpen() {
    ReboundConfigException e = failure("rebound.http.auth.tokens = [{token = ${?REBOUND_TEST_UNSET_VARIABLE_X}, role = operator}]");
    assertEquals("rebound.http.auth.tokens", e.key());
    assertTrue(e.getMessage().contains("open"), e.getMessage());
  }

  @Test
  void errorsNameTheEntryAndNeverTheTokenValue() {
    ReboundConfigException role = failure("rebound.http.auth.tokens = [{token = \"%s\", role = admin}]".formatted(SECRET));
    assertEquals("rebound.http.auth.tokens[0].role", role.key());
    assertTrue(role.getMessage().contains("viewer"), role.getMessage());
    ReboundConfigException twice = failure(
        "rebound.http.auth.tokens = [{token = \"%s\", role = viewer}, {token = \"%s\", role = operator}]".formatted(SECRET, SECRET));
    assertEquals("rebound.http.auth.tokens[1]", twice.key());
    ReboundConfigException shortOne = failure("rebound.http.auth.tokens = [{token = \"short\", role = viewer}]");
    assertTrue(shortOne.getMessage().contains("16"), shortOne.getMessage());
    ReboundConfigException missing = failure("rebound.http.auth.tokens = [{token-file = \"/no/such/file\", role = viewer}]");
    assertEquals("rebound.http.auth.tokens[0].token-file", missing.key());
    ReboundConfigException both = failure(
        "rebound.http.auth.tokens = [{token = \"%s\", token-file = \"x\", role = viewer}]".formatted(SECRET));
    for (ReboundConfigException e : new ReboundConfigException[] {role, twice, shortOne, missing, both}) {
      assertFalse(e.getMessage().contains(SECRET), e.getMessage());
    }
  }

  @Test
  void toStringShowsNamesAndRolesButNoValue() {
    AuthSettings a = parse("rebound.http.auth.tokens = [{token = \"%s\", role = producer}]".formatted(SECRET));
    assertFalse(a.toString().contains(SECRET), a.toString());
    assertTrue(a.toString().contains("rebound.http.auth.tokens[0]"), a.toString());
    assertTrue(a.toString().contains("producer"), a.toString());
  }

  @Test
  void anOpenApiIsAllowedOnLoopbackOnly() {
    AuthSettings.open().checkBinding("127.0.0.1");
    AuthSettings.open().checkBinding("localhost");
    AuthSettings.open().checkBinding("::1");
    ReboundConfigException e = assertThrows(ReboundConfigException.class, () -> AuthSettings.open().checkBinding("0.0.0.0"));
    assertEquals("rebound.http.auth.tokens", e.key());
    parse("rebound.http.auth.tokens = [{token = \"%s\", role = viewer}]".formatted(SECRET)).checkBinding("0.0.0.0");
  }

  @Test
  void aNodeBoundBeyondLoopbackWithoutTokensRefusesToStart() {
    ReboundConfigException e = assertThrows(ReboundConfigException.class, () -> NodeServer.start(ConfigFactory.parseString("""
        rebound.data-dir = "%s"
        rebound.http.host = "0.0.0.0"
        rebound.http.port = 0
        """.formatted(dir.toString().replace("\\", "/")))));
    assertEquals("rebound.http.auth.tokens", e.key());
  }

  @Test
  void rolesAllowWhatTheRolesBelowThemAllow() {
    assertTrue(Role.OPERATOR.allows(Role.PRODUCER));
    assertTrue(Role.PRODUCER.allows(Role.VIEWER));
    assertFalse(Role.VIEWER.allows(Role.PRODUCER));
    assertFalse(Role.PRODUCER.allows(Role.OPERATOR));
  }
}
