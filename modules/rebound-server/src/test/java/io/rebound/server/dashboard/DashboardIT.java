package io.rebound.server.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rebound.server.TestServers;
import io.rebound.server.node.NodeServer;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless Chromium against a live node with a known workload: its counts
 * equal the API's, and a dead letter redriven by a click leaves the dead letters. Screenshots go to
 * target/dashboard/ for a person to look at. Needs Debian's chromium and chromium-driver (.ci/run
 * installs them); skips with a message where they are missing.
 */
class DashboardIT {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SHOTS = Path.of("target", "dashboard");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path dir;
  private static NodeServer node;
  private ChromeDriver browser;

  @BeforeAll
  static void startNodeWithAKnownWorkload() throws Exception {
    assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "the dashboard test needs /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium chromium-driver); skipped");
    node = TestServers.start(dir, """
        rebound.index.group-within = 50ms
        rebound.metrics.depth-interval = 200ms
        jdbc-read-journal.refresh-interval = 200ms
        rebound.queues.emails { handler.type = simulated, retry { max-attempts = 2, initial = 10ms, jitter = none } }
        rebound.queues.reports { handler.type = simulated }
        # Ticks once a year: what the page shows is what the test did.
        rebound.queues.digests { handler.type = simulated }
        rebound.schedules.yearly-digest { cron = "0 0 0 1 1 *", queue = digests }
        """);
    // emails: 7 succeed, 3 fail permanently once (a redrive then succeeds); reports: 4 succeed.
    for (int i = 0; i < 10; i++) {
      String payload = i < 7 ? "{}" : "{\"fail\":1,\"kind\":\"PERMANENT\"}";
      post("/v1/queues/emails/items", "{\"key\":\"mail-" + i + "\",\"payload\":" + payload + "}");
    }
    for (int i = 0; i < 4; i++) {
      post("/v1/queues/reports/items", "{\"payload\":{}}");
    }
    awaitApi("/v1/queues/emails/stats", s -> s.path("counts").path("DEAD_LETTERED").asInt() == 3 && s.path("counts").path("SUCCEEDED").asInt() == 7);
    awaitApi("/v1/queues/reports/stats", s -> s.path("counts").path("SUCCEEDED").asInt() == 4);
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @BeforeEach
  void openBrowser() throws Exception {
    Files.createDirectories(SHOTS);
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    // What this closed machine needs: no sandbox as root, no background calls to Google.
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + Files.createTempDirectory(dir, "chromium"));
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER.toString())).build();
    browser = new ChromeDriver(service, options);
    browser.manage().window().setSize(new Dimension(1280, 1000));
  }

  @AfterEach
  void closeBrowser() {
    if (browser != null) {
      browser.quit();
    }
  }

  @Test
  void showsTheSameCountsAsTheApi() throws Exception {
    browser.get(node.url() + "/");
    for (String queue : List.of("emails", "reports")) {
      JsonNode stats = get("/v1/queues/" + queue + "/stats");
      for (String status : List.of("PENDING", "RUNNING", "WAITING", "PARKED", "SUCCEEDED", "DEAD_LETTERED", "CANCELLED")) {
        String expected = stats.path("counts").path(status).asText();
        String shown = waitForText(By.cssSelector("[data-testid='count-" + queue + "-" + status + "']"), expected);
        assertEquals(expected, shown, queue + " " + status);
      }
    }
    JsonNode metrics = get("/v1/metrics");
    assertEquals(metrics.path("errorsByKind").path("PERMANENT").asText(),
        waitForText(By.cssSelector("[data-testid='errors-PERMANENT']"), "3"));
    screenshot("overview");
    // The same page on a phone-sized screen.
    browser.manage().window().setSize(new Dimension(390, 844));
    screenshot("phone");
  }

  @Test
  void redrivingADeadLetterByClickingSendsItBack() throws Exception {
    browser.get(node.url() + "/");
    String id = get("/v1/queues/emails/items?status=DEAD_LETTERED&limit=1").path("items").get(0).path("id").asText();
    // The dead letters shown are one queue's: the first by name (digests, since schedules) unless chosen.
    WebElement dlqQueue = new WebDriverWait(browser, Duration.ofSeconds(30))
        .until(d -> d.findElements(By.cssSelector("#dlq-queue option")).isEmpty() ? null : d.findElement(By.id("dlq-queue")));
    new org.openqa.selenium.support.ui.Select(dlqQueue).selectByVisibleText("emails");
    WebElement button = new WebDriverWait(browser, Duration.ofSeconds(30))
        .until(d -> d.findElements(By.cssSelector("[data-testid='redrive-" + id + "']")).stream().findFirst().orElse(null));
    screenshot("dead-letters");
    button.click();
    // A permanent failure of the first execution only: the redriven item succeeds.
    awaitApi("/v1/items/" + id, item -> item.path("status").asText().equals("SUCCEEDED"));
    new WebDriverWait(browser, Duration.ofSeconds(30))
        .until(d -> d.findElements(By.cssSelector("#dlq tr[data-id='" + id + "']")).isEmpty());
    waitForText(By.cssSelector("[data-testid='count-emails-DEAD_LETTERED']"), "2");
    // Its page shows both attempts: the failed one and the one after the redrive.
    browser.get(node.url() + "/#/items/" + id);
    List<WebElement> attempts = new WebDriverWait(browser, Duration.ofSeconds(30))
        .until(d -> {
          List<WebElement> li = d.findElements(By.cssSelector("#timeline li"));
          // enqueued, failed, dead-lettered, redriven, succeeded
          return li.size() >= 5 ? li : null;
        });
    List<String> texts = attempts.stream().map(WebElement::getText).toList();
    assertTrue(texts.get(0).startsWith("Enqueued"), texts.toString());
    assertTrue(texts.stream().anyMatch(t -> t.startsWith("Attempt 1 failed") && t.contains("PERMANENT")), texts.toString());
    assertTrue(texts.stream().anyMatch(t -> t.startsWith("Redriven")), texts.toString());
    assertTrue(attempts.get(attempts.size() - 1).getText().contains("succeeded"), attempts.get(attempts.size() - 1).getText());
    screenshot("item");
  }

  @Test
  void showsTheSchedulesAndRunsPausesAndResumesOneByClicking() throws Exception {
    browser.get(node.url() + "/");
    assertEquals("active", waitForText(By.cssSelector("[data-testid='schedule-state-yearly-digest']"), "active"));
    String next = get("/v1/schedules").path("schedules").get(0).path("nextTick").asText();
    assertTrue(waitForTextThat(By.cssSelector("[data-testid='schedule-next-yearly-digest']"), t -> t.startsWith(next)).startsWith(next));
    click(By.cssSelector("[data-testid='schedule-trigger-yearly-digest']"));
    awaitApi("/v1/schedules", s -> s.path("schedules").get(0).hasNonNull("lastItemId"));
    String item = get("/v1/schedules").path("schedules").get(0).path("lastItemId").asText();
    assertEquals(item, waitForText(By.cssSelector("[data-testid='schedule-item-yearly-digest']"), item));
    click(By.cssSelector("[data-testid='schedule-toggle-yearly-digest']"));
    assertEquals("paused", waitForText(By.cssSelector("[data-testid='schedule-state-yearly-digest']"), "paused"));
    assertTrue(get("/v1/schedules").path("schedules").get(0).path("paused").asBoolean());
    screenshot("schedules");
    click(By.cssSelector("[data-testid='schedule-toggle-yearly-digest']"));
    assertEquals("active", waitForText(By.cssSelector("[data-testid='schedule-state-yearly-digest']"), "active"));
  }

  @Test
  void theReplayPanelShowsWhatTheApiAnswers() throws Exception {
    browser.get(node.url() + "/");
    String retry = "{\"maxAttempts\":1}";
    WebElement queue = new WebDriverWait(browser, Duration.ofSeconds(30))
        .until(d -> d.findElements(By.cssSelector("#replay-queue option")).isEmpty() ? null
            : d.findElement(By.id("replay-queue")));
    new org.openqa.selenium.support.ui.Select(queue).selectByVisibleText("emails");
    WebElement field = browser.findElement(By.id("replay-retry"));
    field.clear();
    field.sendKeys(retry);
    browser.findElement(By.id("replay-run")).click();
    JsonNode api = postJson("/v1/queues/emails/replay", "{\"since\":\"7d\",\"retry\":" + retry + "}");
    for (String[] row : new String[][] {{"succeeded", "SUCCEEDED"}, {"dead-lettered", "DEAD_LETTERED"}}) {
      List<WebElement> cells = new WebDriverWait(browser, Duration.ofSeconds(30))
          .until(d -> {
            List<WebElement> tds = d.findElements(By.cssSelector("tr[data-testid='replay-" + row[0] + "'] td"));
            return tds.size() == 2 ? tds : null;
          });
      assertEquals(api.path("recorded").path(row[1]).asText(), cells.get(0).getText(), row[0]);
      assertEquals(api.path("replayed").path(row[1]).asText(), cells.get(1).getText(), row[0]);
    }
    screenshot("replay");
  }

  @Test
  void asksForATokenWhenTheApiNeedsOneAndThenShowsTheQueues() throws Exception {
    String token = "dashboard-viewer-token-0123456789";
    try (NodeServer secured = TestServers.start(dir.resolve("secured"), """
        rebound.http.auth.tokens = [{ token = "%s", role = viewer }]
        rebound.queues.secret { handler.type = simulated }
        """.formatted(token))) {
      browser.get(secured.url() + "/");
      WebElement field = new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> {
        WebElement f = d.findElement(By.id("token"));
        return f.isDisplayed() ? f : null;
      });
      assertTrue(browser.findElements(By.cssSelector("[data-testid='count-secret-PENDING']")).isEmpty(), "nothing shown without a token");
      field.sendKeys(token);
      browser.findElement(By.cssSelector("#token-form button")).click();
      assertEquals("0", waitForText(By.cssSelector("[data-testid='count-secret-PENDING']"), "0"));
      screenshot("token");
    }
  }

  // ---- helpers ----------------------------------------------------------------------------

  /** Waits until the element shows the expected text (the page refreshes every 2s); returns what it shows. */
  private String waitForText(By by, String expected) {
    try {
      return patiently().until(d -> {
        List<WebElement> found = d.findElements(by);
        return !found.isEmpty() && found.get(0).getText().equals(expected) ? expected : null;
      });
    } catch (org.openqa.selenium.TimeoutException e) {
      List<WebElement> found = browser.findElements(by);
      return found.isEmpty() ? "(no element " + by + ")" : found.get(0).getText();
    }
  }

  private WebElement waitForElement(By by) {
    return patiently().until(d -> d.findElements(by).stream().findFirst().orElse(null));
  }

  /** Waits up to 30 s; the page redraws its tables every few seconds, so an element found may go stale: look again. */
  private WebDriverWait patiently() {
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
    return wait;
  }

  /** Clicks the element, finding it again if a redraw replaced it in between. */
  private void click(By by) {
    patiently().until(d -> {
      List<WebElement> found = d.findElements(by);
      if (found.isEmpty()) {
        return null;
      }
      found.get(0).click();
      return true;
    });
  }

  /** The element's text once it satisfies the test, found again if a redraw replaced it. */
  private String waitForTextThat(By by, java.util.function.Predicate<String> test) {
    return patiently().until(d -> {
      List<WebElement> found = d.findElements(by);
      return !found.isEmpty() && test.test(found.get(0).getText()) ? found.get(0).getText() : null;
    });
  }

  private void screenshot(String name) throws Exception {
    File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }

  private static JsonNode get(String path) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + path)).build(), HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }

  private static void post(String path, String body) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + path))
        .header("Content-Type", "application/json").header("X-Rebound-Request", "1").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(r.statusCode() < 300, r.body());
  }

  private static JsonNode postJson(String path, String body) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + path))
        .header("Content-Type", "application/json").header("X-Rebound-Request", "1").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(r.statusCode() < 300, r.body());
    return JSON.readTree(r.body());
  }

  private static void awaitApi(String path, java.util.function.Predicate<JsonNode> done) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode last = get(path);
    while (!done.test(last)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(path + " never got there: " + last);
      }
      Thread.sleep(100);
      last = get(path);
    }
  }
}
