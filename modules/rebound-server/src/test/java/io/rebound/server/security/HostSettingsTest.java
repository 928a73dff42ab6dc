package io.rebound.server.security;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.rebound.core.config.ReboundConfigException;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class HostSettingsTest {

  @Test
  void by_default_a_loopback_node_answers_its_bind_host_and_the_loopback_names_with_any_port() {
    HostSettings h = HostSettings.forBindHost("127.0.0.1");
    for (String ok : List.of("127.0.0.1:8080", "127.0.0.1", "localhost:8080", "LocalHost", "[::1]:8080", "localhost.")) {
      assertTrue(h.allows(ok), ok);
    }
    for (String bad : List.of("evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil.example:8080", "[::2]:8080")) {
      assertFalse(h.allows(bad), bad);
    }
  }

  @Test
  void an_ipv6_bind_host_is_compared_in_brackets() {
    assertTrue(HostSettings.forBindHost("::1").allows("[::1]:9000"));
    assertTrue(HostSettings.forBindHost("10.0.0.5").allows("10.0.0.5:8080"));
  }

  @Test
  void a_wildcard_bind_host_or_a_star_answers_any_name() {
    assertTrue(HostSettings.forBindHost("0.0.0.0").allows("rebound-1:8080"));
    assertTrue(HostSettings.forBindHost("::").allows("rebound-1:8080"));
    assertTrue(HostSettings.of("127.0.0.1", List.of("*")).allows("anything"));
  }

  @Test
  void configured_hosts_replace_the_defaults() {
    HostSettings h = HostSettings.from(ConfigFactory.parseString("rebound.http.allowed-hosts = [rebound-1, \"rebound.example.com\"]"), "0.0.0.0");
    assertTrue(h.allows("rebound-1:8080"));
    assertTrue(h.allows("REBOUND.example.com"));
    assertFalse(h.allows("localhost:8080"));
    assertFalse(h.allows("evil.example"));
  }

  @Test
  void a_configured_host_with_a_port_is_a_config_error_naming_the_key() {
    var e = assertThrows(ReboundConfigException.class, () -> HostSettings.of("127.0.0.1", List.of("rebound-1:8080")));
    assertTrue(e.getMessage().contains(HostSettings.KEY), e.getMessage());
  }

  @Test
  void a_request_without_a_host_header_is_answered() {
    assertTrue(HostSettings.forBindHost("127.0.0.1").allows(null));
  }

  @Test
  void an_origin_counts_as_the_node_only_for_names_listed_in_config() {
    HostSettings listed = HostSettings.of("127.0.0.1", List.of("rebound.example.com"));
    assertTrue(listed.listsOrigin("https://rebound.example.com"));
    assertTrue(listed.listsOrigin("https://rebound.example.com:8443"));
    assertFalse(listed.listsOrigin("https://evil.example"));
    assertFalse(listed.listsOrigin("null"));
    assertFalse(HostSettings.forBindHost("127.0.0.1").listsOrigin("http://localhost:3000"), "another local program's page");
  }
}
