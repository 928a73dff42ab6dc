package io.rebound.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigValueFactory;
import org.junit.jupiter.api.Test;

class EffectiveSettingsSecretsTest {

  @Test
  void aProcessHandlersEnvironmentValuesAreShownAsSetLikeHeaders() {
    assertEquals(EffectiveSettings.SECRET,
        EffectiveSettings.render("rebound.queues.q.handler.environment.MAIL_API_KEY", ConfigValueFactory.fromAnyRef("k-123")));
    assertEquals(EffectiveSettings.SECRET,
        EffectiveSettings.render("rebound.process-handler.environment.DB_URL", ConfigValueFactory.fromAnyRef("postgres://u:p@h/db")));
    assertEquals("[\"PATH\", \"HOME\"]",
        EffectiveSettings.render("rebound.process-handler.environment-allow", ConfigValueFactory.fromIterable(java.util.List.of("PATH", "HOME"))));
  }
}
