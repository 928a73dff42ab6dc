package io.rebound.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import io.rebound.core.Rebound;
import io.rebound.core.config.ReboundConfigException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ByteArrayResource;

class SpringPropertiesTest {

  private static StandardEnvironment env(Map<String, Object> properties) {
    StandardEnvironment env = new StandardEnvironment();
    env.getPropertySources().addFirst(new MapPropertySource("test", properties));
    return env;
  }

  @Test
  void known_keys_in_camel_or_snake_case_become_kebab_case_while_queue_names_stay_as_written() {
    Config c = SpringProperties.toConfig(env(Map.of(
        "rebound.queues.sendEmails.retry.maxAttempts", "4",
        "rebound.max_concurrency", 16,
        "rebound.queues.sendEmails.attemptTimeout", "2m")));

    assertThat(c.getInt("rebound.queues.sendEmails.retry.max-attempts")).isEqualTo(4);
    assertThat(c.getInt("rebound.max-concurrency")).isEqualTo(16);
    assertThat(c.getString("rebound.queues.sendEmails.attempt-timeout")).isEqualTo("2m");
    assertThat(c.getValue("rebound.queues.sendEmails.retry.max-attempts").origin().description())
        .contains("Spring property rebound.queues.sendEmails.retry.maxAttempts");
  }

  @Test
  void indexed_properties_and_a_comma_separated_string_become_lists_where_rebound_expects_one() {
    Config c = SpringProperties.toConfig(env(Map.of(
        "rebound.queues.emails.tools[1]", "dns",
        "rebound.queues.emails.tools[0]", "smtp",
        "rebound.queues.reports.retry.schedule", "1m, 5m,15m")));

    assertThat(c.getStringList("rebound.queues.emails.tools")).containsExactly("smtp", "dns");
    assertThat(c.getStringList("rebound.queues.reports.retry.schedule")).containsExactly("1m", "5m", "15m");
  }

  @Test
  void a_yaml_file_maps_onto_the_same_config_as_hocon_including_an_unquoted_on() throws Exception {
    String yaml = """
        rebound:
          data-dir: /tmp/x
          queues:
            quiet: ""
            emails:
              concurrency: 4
              tools: [smtp]
              retry:
                max-attempts: 5
                on:
                  timeout:
                    max-attempts: 2
        pekko:
          loglevel: WARNING
        """;
    StandardEnvironment env = new StandardEnvironment();
    new YamlPropertySourceLoader().load("application.yml", new ByteArrayResource(yaml.getBytes(StandardCharsets.UTF_8)))
        .forEach(env.getPropertySources()::addLast);

    Config c = SpringProperties.toConfig(env);

    assertThat(c.getObject("rebound.queues.quiet")).isEmpty();
    assertThat(c.getInt("rebound.queues.emails.concurrency")).isEqualTo(4);
    assertThat(c.getStringList("rebound.queues.emails.tools")).containsExactly("smtp");
    assertThat(c.getInt("rebound.queues.emails.retry.on.timeout.max-attempts")).isEqualTo(2);
    assertThat(c.getString("pekko.loglevel")).isEqualTo("WARNING");
    // The same keys a HOCON file would set: Rebound's strict check finds nothing wrong.
    assertThat(Rebound.configCheck(new io.rebound.core.handler.Handlers()).withHandlersInCode(java.util.Set.of("quiet", "emails"))
        .problems(Rebound.withDefaults(c))).isEmpty();
  }

  @Test
  void a_higher_precedence_source_wins_and_the_starters_own_keys_are_not_passed_on() {
    StandardEnvironment env = env(Map.of("rebound.max-concurrency", "8", "rebound.spring.enabled", "true"));
    env.getPropertySources().addLast(new MapPropertySource("lower", Map.of("rebound.max-concurrency", "99", "rebound.ask-timeout", "5s")));

    Config c = SpringProperties.toConfig(env);

    assertThat(c.getInt("rebound.max-concurrency")).isEqualTo(8);
    assertThat(c.getString("rebound.ask-timeout")).isEqualTo("5s");
    assertThat(c.hasPath("rebound.spring")).isFalse();
  }

  @Test
  void a_list_set_in_a_higher_source_replaces_the_whole_list_as_in_spring() {
    StandardEnvironment env = env(Map.of("rebound.queues.emails.tools[0]", "smtp"));
    env.getPropertySources().addLast(new MapPropertySource("lower",
        Map.of("rebound.queues.emails.tools[0]", "dns", "rebound.queues.emails.tools[1]", "ldap")));

    assertThat(SpringProperties.toConfig(env).getStringList("rebound.queues.emails.tools")).containsExactly("smtp");
  }

  @Test
  void an_unknown_key_is_kept_as_written_so_that_the_strict_check_names_it() {
    Config c = SpringProperties.toConfig(env(Map.of("rebound.queues.emails.retry.maxAtempts", "3")));

    assertThatThrownBy(() -> Rebound.configCheck(new io.rebound.core.handler.Handlers())
        .withHandlersInCode(java.util.Set.of("emails")).enforce(Rebound.withDefaults(c)))
        .isInstanceOf(ReboundConfigException.class)
        .hasMessageContaining("rebound.queues.emails.retry.maxAtempts")
        .hasMessageContaining("max-attempts");
  }

  @Test
  void a_list_of_objects_is_refused_naming_the_property() {
    assertThatThrownBy(() -> SpringProperties.toConfig(env(Map.of("rebound.queues.emails.tools[0].name", "x"))))
        .isInstanceOf(ReboundConfigException.class)
        .hasMessageContaining("rebound.queues.emails.tools[0].name");
  }

  @Test
  void property_names_split_into_keys_indexes_and_bracketed_names() {
    assertThat(SpringProperties.elements("rebound.queues[a.b].tools[0]")).isEqualTo(List.of("rebound", "queues", "[a.b]", "tools", "[0]"));
    assertThat(SpringProperties.kebab("maxAttempts")).isEqualTo("max-attempts");
    assertThat(SpringProperties.kebab("max_attempts")).isEqualTo("max-attempts");
  }
}
