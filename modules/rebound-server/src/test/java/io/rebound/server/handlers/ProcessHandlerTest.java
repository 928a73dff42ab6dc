package io.rebound.server.handlers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.rebound.api.JobHandler;
import io.rebound.api.PermanentException;
import io.rebound.api.TransientException;
import io.rebound.core.config.ReboundConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import io.rebound.api.JobContext;
import java.util.concurrent.CompletableFuture;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** Runs real shell scripts (src/test/resources/handlers), copied to a temp dir and made executable there. */
@DisabledOnOs(OS.WINDOWS)
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ProcessHandlerTest {
  private static final String PAYLOAD = "{\"to\":\"ada@example.com\",\"n\":1}";

  @TempDir Path dir;

  @BeforeEach
  void copyScripts() throws IOException {
    for (String name : List.of("record.sh", "fail.sh", "chatty.sh", "tree.sh", "ignore-stdin.sh")) {
      try (InputStream in = getClass().getResourceAsStream("/handlers/" + name)) {
        assertNotNull(in, name);
        Path p = dir.resolve(name);
        Files.copy(in, p);
        assertTrue(p.toFile().setExecutable(true), "chmod +x " + p);
      }
    }
  }

  private String script(String name) {
    return dir.resolve(name).toString();
  }

  /** A handler whose command is the given list (the block may add more keys). */
  private static JobHandler handler(List<String> command, String more) {
    return ProcessHandler.fromConfig(
        ConfigFactory.parseString("type = process\n" + more).withValue("command", ConfigValueFactory.fromIterable(command)));
  }

  private static JobHandler handler(List<String> command) {
    return handler(command, "");
  }

  private static FakeContext ctx() {
    return new FakeContext("item-42", "emails", 3, PAYLOAD);
  }

  private static <T extends Throwable> T failure(Class<T> type, JobHandler h) {
    return assertThrows(type, () -> h.handle(ctx()).toCompletableFuture().join());
  }

  @Test
  void exit_0_is_success_and_the_process_gets_the_payload_on_stdin_and_the_rebound_env_vars() throws Exception {
    Path out = dir.resolve("seen");
    Path work = Files.createDirectory(dir.resolve("work"));
    JobHandler h = handler(List.of(script("record.sh"), out.toString()), "directory = \"" + work + "\"");

    h.handle(ctx()).toCompletableFuture().join();

    assertEquals(PAYLOAD, Files.readString(dir.resolve("seen.payload")));
    assertEquals(List.of("item-42", "3", "emails", "3"), Files.readAllLines(dir.resolve("seen.env")));
    assertEquals(work.toRealPath().toString(), Files.readString(dir.resolve("seen.pwd")).strip());
  }

  /** What {@code env} printed, by name. */
  private Map<String, String> printedEnvironment(JobHandler h) throws Exception {
    Path out = dir.resolve("env.txt");
    h.handle(ctx()).toCompletableFuture().join();
    Map<String, String> env = new java.util.TreeMap<>();
    for (String line : Files.readAllLines(out)) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        env.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return env;
  }

  private List<String> printEnv() {
    return List.of("/bin/sh", "-c", "exec env > \"$0\"", dir.resolve("env.txt").toString());
  }

  @Test
  void a_process_gets_only_the_allowed_variables_of_the_node_and_no_secret() throws Exception {
    Map<String, String> node = Map.of(
        "PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"), "LANG", "C.UTF-8", "HOME", "/home/rebound",
        "REBOUND_DATABASE_PASSWORD", "db-secret-4711", "REBOUND_TLS_PASSWORD", "tls-secret-4712",
        "REBOUND_OPERATOR_TOKEN", "token-secret-4713", "AWS_SECRET_ACCESS_KEY", "aws-secret-4714");
    ProcessHandler h = ((ProcessHandler) handler(printEnv())).withNodeEnvironment(node);

    Map<String, String> env = printedEnvironment(h);

    assertEquals("C.UTF-8", env.get("LANG"));
    assertEquals("/home/rebound", env.get("HOME"));
    assertEquals("item-42", env.get("REBOUND_ITEM_ID"));
    String all = Files.readString(dir.resolve("env.txt"));
    for (String secret : List.of("db-secret-4711", "tls-secret-4712", "token-secret-4713", "aws-secret-4714", "PASSWORD", "AWS_")) {
      assertFalse(all.contains(secret), secret + " reached the process: " + all);
    }
  }

  @Test
  void the_real_node_environment_is_not_inherited_beyond_the_allow_list() throws Exception {
    Map<String, String> env = printedEnvironment(handler(printEnv()));
    // The shell itself may add PWD, SHLVL and _.
    java.util.Set<String> expected = new java.util.HashSet<>(ProcessHandler.DEFAULT_ENVIRONMENT_ALLOW);
    expected.addAll(List.of("REBOUND_ITEM_ID", "REBOUND_ATTEMPT", "REBOUND_EXECUTION", "REBOUND_QUEUE", "PWD", "SHLVL", "_", "OLDPWD"));
    for (String name : env.keySet()) {
      assertTrue(expected.contains(name), name + " was inherited from the node: " + env.keySet());
    }
  }

  @Test
  void a_block_sets_its_own_allow_list_and_explicit_variables() throws Exception {
    ProcessHandler h = ((ProcessHandler) handler(printEnv(),
        "environment-allow = [PATH, MAIL_HOST]\nenvironment { MAIL_FROM = \"queue@example.com\", RETRIES = 3 }"))
        .withNodeEnvironment(Map.of("PATH", "/usr/bin:/bin", "MAIL_HOST", "smtp.local", "HOME", "/home/rebound"));

    Map<String, String> env = printedEnvironment(h);

    assertEquals("smtp.local", env.get("MAIL_HOST"));
    assertEquals("queue@example.com", env.get("MAIL_FROM"));
    assertEquals("3", env.get("RETRIES"));
    assertFalse(env.containsKey("HOME"), "HOME is not in this block's list");
  }

  @Test
  void the_node_wide_defaults_come_from_reference_conf_and_a_block_adds_to_their_environment() throws Exception {
    var factory = ProcessHandler.factory(ConfigFactory.parseString(
        "rebound.process-handler { environment-allow = [PATH], environment { A = 1 } }"));
    JobHandler h = factory.apply(ConfigFactory.parseString("type = process\nenvironment { B = 2 }")
        .withValue("command", ConfigValueFactory.fromIterable(printEnv())));
    Map<String, String> env = printedEnvironment(h);
    assertEquals("1", env.get("A"));
    assertEquals("2", env.get("B"));
    assertFalse(env.containsKey("HOME"));
    assertTrue(ConfigFactory.defaultReference().getStringList("rebound.process-handler.environment-allow").contains("PATH"));
  }

  @Test
  void an_environment_entry_that_is_not_a_variable_name_is_a_config_error() {
    var e = assertThrows(ReboundConfigException.class, () -> handler(List.of("/bin/true"), "environment-allow = [\"A=B\"]"));
    assertTrue(e.getMessage().contains("environment-allow"), e.getMessage());
  }

  @Test
  void exit_75_is_transient() {
    TransientException e = failure(TransientException.class, handler(List.of(script("fail.sh"), "75", "mail server busy")));
    assertEquals("exit 75: starting\nmail server busy", e.getMessage());
  }

  @Test
  void exit_3_is_permanent_with_the_tail_of_stderr_in_the_message() {
    PermanentException e = failure(PermanentException.class, handler(List.of(script("fail.sh"), "3", "bad address")));
    assertEquals("exit 3: starting\nbad address", e.getMessage());
  }

  @Test
  void a_chatty_process_does_not_block_and_only_the_last_2048_characters_of_stderr_are_kept() {
    long start = System.nanoTime();
    PermanentException e = failure(PermanentException.class, handler(List.of(script("chatty.sh"))));
    assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < 5);
    String tail = "e".repeat(2048 - "\nthe end".length()) + "\nthe end";
    assertEquals("exit 3: " + tail, e.getMessage());
  }

  @Test
  void a_process_that_never_reads_a_large_payload_still_succeeds() throws Exception {
    JobHandler h = handler(List.of(script("ignore-stdin.sh")));
    String big = "{\"blob\":\"" + "z".repeat(1 << 20) + "\"}";
    h.handle(new FakeContext("item-1", "emails", 1, big)).toCompletableFuture().join();
  }

  @Test
  void custom_transient_exit_codes_replace_the_default() {
    JobHandler h = handler(List.of(script("fail.sh"), "4", "try later"), "transient-exit-codes = [3, 4]");
    assertEquals("exit 4: starting\ntry later", failure(TransientException.class, h).getMessage());

    JobHandler h75 = handler(List.of(script("fail.sh"), "75", "no longer special"), "transient-exit-codes = [3, 4]");
    failure(PermanentException.class, h75);
  }

  @Test
  void a_timeout_kills_the_whole_process_tree_and_is_transient() throws Exception {
    JobHandler h = handler(List.of(script("tree.sh"), dir.toString()), "timeout = 500ms");

    long start = System.nanoTime();
    TransientException e = failure(TransientException.class, h);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertTrue(e.getMessage().startsWith("timed out after 500ms"), e.getMessage());
    assertTrue(ms < 2_000, "took " + ms + " ms");
    long parent = Long.parseLong(Files.readString(dir.resolve("parent.pid")).strip());
    long child = Long.parseLong(Files.readString(dir.resolve("child.pid")).strip());
    assertGone(parent);
    assertGone(child);
  }

  @Test
  void a_cancelled_attempt_kills_the_whole_process_tree_at_once() throws Exception {
    JobHandler h = handler(List.of(script("tree.sh"), dir.toString()));
    CompletableFuture<Void> cancel = new CompletableFuture<>();
    FakeContext fake = ctx();
    JobContext cancellable = new JobContext() {
      public String itemId() { return fake.itemId(); }
      public String queue() { return fake.queue(); }
      public java.util.Optional<String> key() { return fake.key(); }
      public int attempt() { return fake.attempt(); }
      public int execution() { return fake.execution(); }
      public com.fasterxml.jackson.databind.JsonNode payload() { return fake.payload(); }
      public String payloadJson() { return fake.payloadJson(); }
      public void heartbeat() {}
      public java.util.concurrent.CompletionStage<Void> cancelled() { return cancel; }
    };
    CompletableFuture<Void> run = CompletableFuture.runAsync(() -> {
      try {
        h.handle(cancellable).toCompletableFuture().join();
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    });
    Path childPid = dir.resolve("child.pid");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!(Files.exists(childPid) && Files.exists(dir.resolve("parent.pid")) && Files.size(childPid) > 0) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    long start = System.nanoTime();
    cancel.complete(null);
    assertThrows(Exception.class, () -> run.get(5, TimeUnit.SECONDS));
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 3_000);
    assertGone(Long.parseLong(Files.readString(dir.resolve("parent.pid")).strip()));
    assertGone(Long.parseLong(Files.readString(childPid).strip()));
  }

  /** Gone, or a zombie (a killed orphan waits for init to reap it, which in a container may be never). */
  private static void assertGone(long pid) {
    assertFalse(ProcessHandle.of(pid).map(ProcessHandler::running).orElse(false), "pid " + pid + " is still running");
  }

  @Test
  void a_single_string_command_runs_through_sh() throws Exception {
    Path out = dir.resolve("sh.out");
    JobHandler h =
        ProcessHandler.fromConfig(
            ConfigFactory.parseMap(Map.of("command", "echo \"$REBOUND_QUEUE $REBOUND_ATTEMPT\" > '" + out + "' && cat >> '" + out + "'")));
    h.handle(ctx()).toCompletableFuture().join();
    assertEquals("emails 3\n" + PAYLOAD, Files.readString(out));

    JobHandler failing = ProcessHandler.fromConfig(ConfigFactory.parseString("command = \"echo oops >&2; exit 75\""));
    assertEquals("exit 75: oops", failure(TransientException.class, failing).getMessage());
  }

  @Test
  void a_command_that_cannot_start_is_transient() {
    TransientException e = failure(TransientException.class, handler(List.of(dir.resolve("no-such-program").toString())));
    assertTrue(e.getMessage().startsWith("cannot start "), e.getMessage());
  }

  @Test
  void a_missing_or_empty_command_is_a_config_error_naming_command() {
    assertConfigError("command", "type = process");
    assertConfigError("command", "command = []");
    assertConfigError("command", "command = \"  \"");
    assertConfigError("command", "command { a = 1 }");
    assertConfigError("command", "command = [[\"a\"]]");
  }

  @Test
  void exit_codes_outside_1_to_255_are_a_config_error() {
    assertConfigError("transient-exit-codes", "command = [\"true\"], transient-exit-codes = [0]");
    assertConfigError("transient-exit-codes", "command = [\"true\"], transient-exit-codes = [75, 256]");
    assertConfigError("transient-exit-codes", "command = [\"true\"], transient-exit-codes = [\"x\"]");
  }

  @Test
  void a_bad_timeout_is_a_config_error() {
    assertConfigError("timeout", "command = [\"true\"], timeout = 0s");
    assertConfigError("timeout", "command = [\"true\"], timeout = -1m");
    assertConfigError("timeout", "command = [\"true\"], timeout = forever");
  }

  @Test
  void a_directory_that_does_not_exist_is_a_config_error() {
    assertConfigError("directory", "command = [\"true\"], directory = \"" + dir.resolve("nowhere") + "\"");
    assertConfigError("directory", "command = [\"true\"], directory = \"" + dir.resolve("record.sh") + "\"");
  }

  private static void assertConfigError(String key, String config) {
    ReboundConfigException e =
        assertThrows(ReboundConfigException.class, () -> ProcessHandler.fromConfig(ConfigFactory.parseString(config)), config);
    assertEquals(key, e.key(), e.getMessage());
  }
}
