package org.minimeter.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.within;
import static org.minimeter.gateway.PackagedGateway.freePort;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minimeter.gateway.PackagedGateway;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard at {@code /}, end to end: the packaged gateway ({@code target/quarkus-app},
 * started as a user starts it, from a directory holding {@code config/application.properties})
 * with simulated meters and its embedded broker, and Debian's headless Chromium driven by
 * Selenium through Debian's chromedriver (never a downloaded one). The page must show the
 * physics of the simulator (120 V, 2 x 120 V x 30 A = 7200 W), keep moving once a second,
 * draw its power plot, show an alarm raised in the simulator and its clearing, and come back
 * by itself after the gateway restarts. Screenshots go to {@code target/} for a person.
 */
class DashboardIT {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Duration T = Duration.ofSeconds(20);
    /** Sum of alpha over the canvas: 0 while blank, larger as more of the lines is drawn. */
    static final String INK = "const c = arguments[0]; if (!c.width || !c.height) return 0;"
            + " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            + " let s = 0; for (let i = 3; i < d.length; i += 4) s += d[i]; return s;";

    @TempDir
    Path work;

    int httpPort;
    Process gateway;
    ChromeDriver browser;
    WebDriverWait wait;

    @BeforeEach
    void browserFromDebian() {
        for (Path p : List.of(CHROMIUM, CHROMEDRIVER)) {
            if (!Files.isExecutable(p)) {
                fail(p + " is missing: the dashboard test drives Debian's chromium through chromium-driver. Run"
                        + " scripts/test.sh, which installs them (apt-get install chromium chromium-driver)");
            }
        }
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (browser != null) {
            browser.quit();
        }
        stopGateway();
    }

    @Test
    void twoMeters_liveValuesChange_plotDraws_alarmShowsAndClears_brokerConnected() throws Exception {
        Path fault = work.resolve("unplug");
        httpPort = freePort();
        writeConfig(List.of(
                "gateway.id=dash-test",
                "simulator.speed=5",
                // a 2-element household at a steady 30 A per element: 7200 W at PF 1
                "meters.house.simulator.current=30",
                // a 1-element shop on the household profile, whose front end the test unplugs
                "meters.shop.elements=1",
                "meters.shop.simulator.fault-file=" + fault));
        startGateway();
        openBrowser();

        List<String> cards = wait.until(d -> {
            List<String> ids = new ArrayList<>();
            for (WebElement e : d.findElements(By.cssSelector("section.meter"))) {
                ids.add(e.getAttribute("data-meter"));
            }
            return ids.size() == 2 ? ids : null;
        });
        assertThat(cards).containsExactly("house", "shop");
        String gatewayId = wait.until(d -> nonEmpty(text("header.top [data-field=gateway_id]")));
        assertThat(gatewayId).isEqualTo("dash-test");
        wait.until(d -> text("header.top [data-field=mqtt_connected]").equals("connected"));
        assertThat(attr("header.top [data-field=mqtt_connected]", "data-state")).isEqualTo("ok");
        assertThat(text("header.top [data-field=outbox_depth]")).matches("\\d+");
        assertThat(text("header.top [data-field=stream]")).isEqualTo("live");

        // the simulator's physics, per element and in total
        String house = "section.meter[data-meter=house] ";
        wait.until(d -> number(house + "tr[data-element='2'] [data-field=voltage_v]") > 0);
        for (String e : List.of("1", "2")) {
            assertThat(number(house + "tr[data-element='" + e + "'] [data-field=voltage_v]")).isCloseTo(120, within(1.0));
            assertThat(number(house + "tr[data-element='" + e + "'] [data-field=current_a]")).isCloseTo(30, within(0.3));
        }
        assertThat(number(house + "[data-element=total] [data-field=frequency_hz]")).isCloseTo(60, within(0.1));
        String powerSelector = house + "[data-element=total] [data-field=power_w]";
        assertThat(number(powerSelector)).isCloseTo(7200, within(72.0));
        assertThat(text(house + "[data-field=available]")).isEqualTo("available");

        // live: P, the register and the pulse counter move between reads seconds apart
        String p1 = text(powerSelector);
        double kwh1 = number(house + ".register [data-field=delivered_kwh]");
        double pulses1 = number(house + "[data-field=pulse10]");
        wait.until(d -> !text(powerSelector).equals(p1));
        wait.until(d -> number(house + ".register [data-field=delivered_kwh]") > kwh1);
        wait.until(d -> number(house + "[data-field=pulse10]") > pulses1);

        // the rolling plot has ink, and more of it as readings arrive
        long ink1 = wait.until(d -> {
            long ink = ink(house + "canvas[data-plot=power]");
            return ink > 0 ? ink : null;
        });
        wait.until(d -> ink(house + "canvas[data-plot=power]") > ink1);
        // the history charts were read and drawn (today by hour, the last 30 days)
        for (String chart : List.of("hourly", "daily")) {
            wait.until(d -> "ok".equals(attr(house + "canvas[data-chart=" + chart + "]", "data-state")));
            assertThat(ink(house + "canvas[data-chart=" + chart + "]")).as(chart).isPositive();
        }

        // unplug the shop's front end: its card says unavailable, with the alarm, and only its card
        String shop = "section.meter[data-meter=shop] ";
        Files.createFile(fault);
        wait.until(d -> !d.findElements(By.cssSelector(shop + "[data-field=alarms] [data-alarm=source_failed]"))
                .isEmpty());
        wait.until(d -> text(shop + "[data-field=available]").equals("unavailable"));
        assertThat(attr("section.meter[data-meter=shop]", "data-available")).isEqualTo("false");
        assertThat(text(shop + "[data-field=source_problem]")).contains("no samples");
        assertThat(text(house + "[data-field=available]")).isEqualTo("available");
        assertThat(browser.findElements(By.cssSelector(house + "[data-alarm]"))).isEmpty();
        screenshot("dashboard.png");

        // plug it back: the alarm clears and the meter is available again
        Files.delete(fault);
        wait.until(d -> text(shop + "[data-field=available]").equals("available"));
        wait.until(d -> d.findElements(By.cssSelector(shop + "[data-alarm]")).isEmpty());
        assertThat(text(shop + "[data-field=alarms]")).isEqualTo("none active");
        assertThat(attr("section.meter[data-meter=shop]", "data-available")).isEqualTo("true");

        assertThat(pageErrors()).isEmpty();
    }

    @Test
    void twelveMeters_aSummaryAndOneCard_andThePageReconnectsAfterTheGatewayRestarts() throws Exception {
        httpPort = freePort();
        List<String> config = new ArrayList<>(List.of("gateway.id=dash-many"));
        for (int n = 1; n <= 12; n++) {
            config.add(String.format("meters.m%02d.elements=1", n));
            config.add(String.format("meters.m%02d.simulator.current=%d", n, 5 * n));
        }
        writeConfig(config);
        startGateway();
        openBrowser();

        // above eight meters: a summary row for each, the details of one
        wait.until(d -> d.findElements(By.cssSelector("#summary tbody tr[data-summary]")).size() == 12);
        assertThat(attr("body", "data-view")).isEqualTo("list");
        assertThat(browser.findElement(By.id("summary")).isDisplayed()).isTrue();
        for (int n = 1; n <= 12; n++) {
            String row = String.format("tr[data-summary=m%02d] ", n);
            // one element at 5n A and 120 V
            double expected = 120.0 * 5 * n;
            wait.until(d -> nonEmpty(text(row + "[data-field=power_w]")) != null && !text(row + "[data-field=power_w]")
                    .equals("—"));
            assertThat(number(row + "[data-field=power_w]")).as(row).isCloseTo(expected, within(expected * 0.01 + 1));
            assertThat(text(row + "[data-field=available]")).isEqualTo("available");
        }
        wait.until(d -> d.findElements(By.cssSelector("section.meter")).size() == 1);
        assertThat(attr("section.meter", "data-meter")).isEqualTo("m01");

        browser.findElement(By.cssSelector("tr[data-summary=m07] a")).click();
        wait.until(d -> "m07".equals(attr("section.meter", "data-meter")));
        assertThat(browser.findElements(By.cssSelector("section.meter"))).hasSize(1);
        assertThat(browser.getCurrentUrl()).endsWith("#m07");
        String card = "section.meter[data-meter=m07] ";
        wait.until(d -> !text(card + "tr[data-element='1'] [data-field=current_a]").equals("—"));
        assertThat(number(card + "tr[data-element='1'] [data-field=current_a]")).isCloseTo(35, within(0.35));
        wait.until(d -> ink(card + "canvas[data-plot=power]") > 0);
        screenshot("dashboard-list.png");

        assertThat(pageErrors()).isEmpty();

        // the gateway goes away: the page says so; it comes back: the page resumes by itself
        stopGateway();
        wait.until(d -> text("header.top [data-field=stream]").startsWith("reconnecting"));
        writeConfig(config); // a new broker port: the old one may linger a moment
        startGateway();
        wait.withTimeout(Duration.ofSeconds(40)).until(d -> text("header.top [data-field=stream]").equals("live"));
        String p1 = wait.until(d -> nonEmpty(text(card + "[data-element=total] [data-field=power_w]")));
        wait.until(d -> !text(card + "[data-element=total] [data-field=power_w]").equals(p1));
        assertThat(browser.findElements(By.cssSelector("#summary tbody tr[data-summary]"))).hasSize(12);
        // while it was away the requests failed, as they should; nothing else went wrong
        assertThat(pageErrors()).allMatch(e -> e.contains("net::ERR_"), "failed requests only");
    }

    // ---- the gateway -------------------------------------------------------------------

    private void writeConfig(List<String> meters) throws IOException {
        List<String> lines = new ArrayList<>(List.of(
                "quarkus.http.port=" + httpPort,
                "mqtt.port=" + freePort(),
                "storage.dir=" + work.resolve("data")));
        lines.addAll(meters);
        PackagedGateway.writeConfig(work, lines);
    }

    private void startGateway() throws Exception {
        gateway = PackagedGateway.start(work);
        PackagedGateway.awaitStarted(gateway, work, httpPort);
    }

    private void stopGateway() throws InterruptedException {
        if (gateway != null) {
            PackagedGateway.stop(gateway);
            gateway = null;
        }
    }

    private String base() {
        return "http://127.0.0.1:" + httpPort + "/";
    }

    // ---- the browser -------------------------------------------------------------------

    private void openBrowser() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.WARNING);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString())).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, T);
        wait.ignoring(NoSuchElementException.class).ignoring(StaleElementReferenceException.class)
                .ignoring(NumberFormatException.class);
        browser.get(base());
    }

    private String text(String css) {
        return browser.findElement(By.cssSelector(css)).getText().trim();
    }

    private String attr(String css, String name) {
        return browser.findElement(By.cssSelector(css)).getAttribute(name);
    }

    private double number(String css) {
        return Double.parseDouble(text(css));
    }

    private long ink(String css) {
        Object sum = ((JavascriptExecutor) browser).executeScript(INK, browser.findElement(By.cssSelector(css)));
        return ((Number) sum).longValue();
    }

    private static String nonEmpty(String s) {
        return s == null || s.isEmpty() || s.equals("…") ? null : s;
    }

    /** Errors the page raised (script errors, failed requests), not the browser's own chatter. */
    private List<String> pageErrors() {
        List<String> errors = new ArrayList<>();
        for (LogEntry e : browser.manage().logs().get(LogType.BROWSER)) {
            if (e.getLevel().intValue() >= Level.SEVERE.intValue()) {
                errors.add(e.getMessage());
            }
        }
        return errors;
    }

    private void screenshot(String name) throws IOException {
        Path out = Path.of("target", name);
        Files.createDirectories(out.getParent());
        Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), out, StandardCopyOption.REPLACE_EXISTING);
    }
}
