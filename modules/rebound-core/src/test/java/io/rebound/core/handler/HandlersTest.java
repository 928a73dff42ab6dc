package io.rebound.core.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.api.JobContext;
import io.rebound.api.JobHandler;
import io.rebound.api.PermanentException;
import io.rebound.api.ToolUnavailableException;
import io.rebound.api.TransientException;
import io.rebound.core.config.ReboundConfigException;
import io.rebound.core.config.ReboundSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HandlersTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A handler the java type can create: public, with a public no-arg constructor. */
  public static final class RecordingHandler implements JobHandler {
    @Override
    public CompletionStage<Void> handle(JobContext context) {
      return CompletableFuture.completedFuture(null);
    }
  }

  /** Not a JobHandler at all. */
  public static final class NotAHandler {
    public NotAHandler() {}
  }

  /** A JobHandler without a no-arg constructor. */
  public static final class NeedsArguments implements JobHandler {
    public NeedsArguments(String argument) {}

    @Override
    public CompletionStage<Void> handle(JobContext context) {
      return CompletableFuture.completedFuture(null);
    }
  }

  /** A JobHandler whose constructor fails. */
  public static final class FailingConstructor implements JobHandler {
    public FailingConstructor() {
      throw new IllegalStateException("boom");
    }

    @Override
    public CompletionStage<Void> handle(JobContext context) {
      return CompletableFuture.completedFuture(null);
    }
  }

  /** Just enough of a JobContext for SimulatedHandler. */
  record FakeContext(int execution, String payloadJson) implements JobContext {
    @Override
    public String itemId() {
      return "item-1";
    }

    @Override
    public String queue() {
      return "q";
    }

    @Override
    public Optional<String> key() {
      return Optional.empty();
    }

    @Override
    public int attempt() {
      return execution;
    }

    @Override
    public JsonNode payload() {
      try {
        return JSON.readTree(payloadJson);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void heartbeat() {}
  }

  private static Config handler(String hocon) {
    return ConfigFactory.parseString(hocon);
  }

  private static Map<String, JobHandler> resolve(Map<String, JobHandler> given, Map<String, Config> configs) {
    return new Handlers().resolve(given, configs);
  }

  private static ReboundConfigException rejected(Map<String, JobHandler> given, Map<String, Config> configs) {
    return assertThrows(ReboundConfigException.class, () -> resolve(given, configs));
  }

  private static void assertNamesKey(String expectedKey, ReboundConfigException e) {
    assertEquals(expectedKey, e.key(), () -> "key of: " + e.getMessage());
    assertTrue(e.getMessage().startsWith(expectedKey + ": "), () -> "message should start with the key: " + e.getMessage());
  }

  // ---- resolve ----

  @Test
  void aHandlerPassedInCodeWinsOverTheConfiguredOne() {
    JobHandler given = ctx -> CompletableFuture.completedFuture(null);

    Map<String, JobHandler> out = resolve(Map.of("q", given), Map.of("q", handler("type = simulated")));

    assertSame(given, out.get("q"));
  }

  @Test
  void aHandlerPassedInCodeNeedsNoConfiguredType() {
    JobHandler given = ctx -> CompletableFuture.completedFuture(null);

    Map<String, JobHandler> out = resolve(Map.of("q", given), Map.of("q", handler("")));

    assertSame(given, out.get("q"));
  }

  @Test
  void typeSimulatedGivesASimulatedHandler() {
    Map<String, JobHandler> out = resolve(Map.of(), Map.of("q", handler("type = simulated")));

    assertEquals(Set.of("q"), out.keySet());
    assertInstanceOf(SimulatedHandler.class, out.get("q"));
  }

  @Test
  void typeJavaCreatesTheNamedClass() {
    Map<String, JobHandler> out = resolve(Map.of(),
        Map.of("q", handler("type = java, class = \"" + RecordingHandler.class.getName() + "\"")));

    assertInstanceOf(RecordingHandler.class, out.get("q"));
  }

  @Test
  void eachQueueGetsItsOwnHandler() {
    JobHandler given = ctx -> CompletableFuture.completedFuture(null);
    Map<String, JobHandler> out = resolve(Map.of("a", given), Map.of(
        "a", handler(""),
        "b", handler("type = simulated"),
        "c", handler("type = java, class = \"" + RecordingHandler.class.getName() + "\"")));

    assertEquals(Set.of("a", "b", "c"), out.keySet());
    assertSame(given, out.get("a"));
    assertInstanceOf(SimulatedHandler.class, out.get("b"));
    assertInstanceOf(RecordingHandler.class, out.get("c"));
  }

  @Test
  void theHandlerBlocksReadFromTheSettingsResolve() {
    Config root = ConfigFactory.parseString("""
        rebound {
          data-dir = "./data"
          queues {
            sim { handler { type = simulated } }
            "dotted.name" { handler { type = java, class = "%s" } }
          }
        }
        """.formatted(RecordingHandler.class.getName()))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();

    Map<String, JobHandler> out = resolve(Map.of(), ReboundSettings.from(root).handlers());

    assertInstanceOf(SimulatedHandler.class, out.get("sim"));
    assertInstanceOf(RecordingHandler.class, out.get("dotted.name"));
  }

  @Test
  void anAddedTypeIsUsedWithItsOwnConfig() {
    JobHandler made = ctx -> CompletableFuture.completedFuture(null);
    Map<String, JobHandler> out = new Handlers()
        .with("custom", c -> {
          assertEquals("x", c.getString("setting"));
          return made;
        })
        .resolve(Map.of(), Map.of("q", handler("type = custom, setting = x")));

    assertSame(made, out.get("q"));
  }

  @Test
  void anAddedTypeThatFailsIsReportedUnderTheQueuesHandler() {
    ReboundConfigException e = assertThrows(ReboundConfigException.class, () -> new Handlers()
        .with("custom", c -> {
          throw new IllegalArgumentException("nope");
        })
        .resolve(Map.of(), Map.of("q", handler("type = custom"))));

    assertNamesKey("rebound.queues.q.handler", e);
    assertTrue(e.getMessage().contains("nope"), e.getMessage());
  }

  @Test
  void aMissingTypeIsRejectedNamingTheTypeKey() {
    ReboundConfigException e = rejected(Map.of(), Map.of("q", handler("")));
    assertNamesKey("rebound.queues.q.handler.type", e);
  }

  @Test
  void anUnknownTypeIsRejectedNamingTheTypeKey() {
    ReboundConfigException e = rejected(Map.of(), Map.of("q", handler("type = carrier-pigeon")));
    assertNamesKey("rebound.queues.q.handler.type", e);
    assertTrue(e.getMessage().contains("carrier-pigeon"), e.getMessage());
  }

  @Test
  void aJavaTypeWithoutAClassIsRejectedNamingTheClassKey() {
    ReboundConfigException e = rejected(Map.of(), Map.of("q", handler("type = java")));
    assertNamesKey("rebound.queues.q.handler.class", e);
  }

  @Test
  void aClassThatIsNotOnTheClasspathIsRejectedNamingTheClassKey() {
    ReboundConfigException e =
        rejected(Map.of(), Map.of("q", handler("type = java, class = \"com.example.DoesNotExist\"")));
    assertNamesKey("rebound.queues.q.handler.class", e);
    assertTrue(e.getMessage().contains("com.example.DoesNotExist"), e.getMessage());
  }

  @ParameterizedTest(name = "{0} is rejected")
  @ValueSource(classes = {NotAHandler.class, String.class})
  void aClassThatDoesNotImplementJobHandlerIsRejectedNamingTheClassKey(Class<?> cls) {
    ReboundConfigException e =
        rejected(Map.of(), Map.of("q", handler("type = java, class = \"" + cls.getName() + "\"")));
    assertNamesKey("rebound.queues.q.handler.class", e);
    assertTrue(e.getMessage().contains("JobHandler"), e.getMessage());
  }

  @ParameterizedTest(name = "{0} is rejected")
  @ValueSource(classes = {NeedsArguments.class, FailingConstructor.class, JobHandler.class})
  void aHandlerClassThatCannotBeCreatedIsRejectedNamingTheClassKey(Class<?> cls) {
    ReboundConfigException e =
        rejected(Map.of(), Map.of("q", handler("type = java, class = \"" + cls.getName() + "\"")));
    assertNamesKey("rebound.queues.q.handler.class", e);
  }

  @Test
  void theErrorNamesTheQueueThatIsWrong() {
    ReboundConfigException e = rejected(Map.of(), Map.of(
        "fine", handler("type = simulated"),
        "broken", handler("type = nope")));
    assertNamesKey("rebound.queues.broken.handler.type", e);
  }

  @Test
  void aHandlerGivenForAQueueThatIsNotConfiguredIsRejected() {
    JobHandler given = ctx -> CompletableFuture.completedFuture(null);

    ReboundConfigException e = rejected(Map.of("ghost", given), Map.of("q", handler("type = simulated")));

    assertNamesKey("rebound.queues.ghost", e);
    assertTrue(e.getMessage().contains("ghost"), e.getMessage());
  }

  @Test
  void aHandlerGivenWhenNoQueueIsConfiguredIsRejected() {
    JobHandler given = ctx -> CompletableFuture.completedFuture(null);

    ReboundConfigException e = rejected(Map.of("ghost", given), Map.of());

    assertNamesKey("rebound.queues.ghost", e);
  }

  // ---- SimulatedHandler ----

  private static void succeeds(String payload, int execution) throws Exception {
    CompletionStage<Void> result = new SimulatedHandler().handle(new FakeContext(execution, payload));
    assertNull(result.toCompletableFuture().get());
  }

  private static <T extends Throwable> T fails(Class<T> type, String payload, int execution) {
    return assertThrows(type, () -> new SimulatedHandler().handle(new FakeContext(execution, payload)));
  }

  @Test
  void failTwoPermanentFailsTheFirstTwoExecutionsAndSucceedsOnTheThird() throws Exception {
    String payload = "{\"fail\":2,\"kind\":\"PERMANENT\"}";

    fails(PermanentException.class, payload, 1);
    fails(PermanentException.class, payload, 2);
    succeeds(payload, 3);
    succeeds(payload, 4);
  }

  @Test
  void kindTransientThrowsATransientException() throws Exception {
    String payload = "{\"fail\":1,\"kind\":\"TRANSIENT\"}";

    fails(TransientException.class, payload, 1);
    succeeds(payload, 2);
  }

  @Test
  void kindToolUnavailableThrowsAToolUnavailableException() throws Exception {
    String payload = "{\"fail\":1,\"kind\":\"TOOL_UNAVAILABLE\"}";

    ToolUnavailableException e = fails(ToolUnavailableException.class, payload, 1);
    assertEquals(List.of("simulated-tool"), e.tools());
    succeeds(payload, 2);
  }

  @Test
  void theKindIsReadCaseInsensitively() {
    fails(ToolUnavailableException.class, "{\"fail\":1,\"kind\":\"tool_unavailable\"}", 1);
    fails(PermanentException.class, "{\"fail\":1,\"kind\":\"permanent\"}", 1);
  }

  @Test
  void failingWithoutAKindIsTransient() {
    fails(TransientException.class, "{\"fail\":1}", 1);
  }

  @Test
  void anUnknownKindIsAPermanentFailure() {
    PermanentException e = fails(PermanentException.class, "{\"fail\":1,\"kind\":\"WEIRD\"}", 1);
    assertTrue(e.getMessage().contains("WEIRD"), e.getMessage());
  }

  @Test
  void aNegativeFailIsAPermanentFailure() {
    fails(PermanentException.class, "{\"fail\":-1}", 1);
  }

  @Test
  void aNegativeMsIsAPermanentFailure() {
    fails(PermanentException.class, "{\"ms\":-5}", 1);
  }

  @ParameterizedTest(name = "payload {0} succeeds")
  @ValueSource(strings = {"{}", "{\"fail\":0}", "{\"fail\":0,\"kind\":\"PERMANENT\"}", "[]", "\"text\""})
  void aPayloadThatAsksForNoFailureSucceedsAtOnce(String payload) throws Exception {
    succeeds(payload, 1);
  }

  @Test
  void msMakesEachInvocationTakeAtLeastThatLong() throws Exception {
    long start = System.nanoTime();
    succeeds("{\"ms\":50}", 1);
    long elapsed = System.nanoTime() - start;
    assertTrue(elapsed >= Duration.ofMillis(50).toNanos(), "took only " + elapsed / 1_000_000 + " ms");
  }

  @Test
  void msAlsoAppliesToAFailingInvocation() {
    long start = System.nanoTime();
    fails(TransientException.class, "{\"ms\":50,\"fail\":1}", 1);
    long elapsed = System.nanoTime() - start;
    assertTrue(elapsed >= Duration.ofMillis(50).toNanos(), "took only " + elapsed / 1_000_000 + " ms");
  }
}
