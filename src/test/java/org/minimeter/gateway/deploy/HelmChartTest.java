package org.minimeter.gateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.DryRun;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Helm chart in {@code helm/minimeter-gateway}, linted and rendered by Helm itself
 * (helm-java: Helm 3 built as a shared library, no helm binary), with its default values and
 * with the fleet example. The rendered objects are parsed and checked for what running the
 * gateway on a node needs: probes on the health endpoints, the register on storage that
 * outlives the pod, a restricted security context, an update that never runs two gateways on
 * one register, and no secret in a ConfigMap. Bad values must be refused naming the key.
 */
class HelmChartTest {

    static final Path CHART = Path.of("helm", "minimeter-gateway");
    static final Path FLEET = Path.of("examples", "fleet", "values-fleet.yaml");
    static final String RELEASE = "mm";
    static final String FULLNAME = "mm-minimeter-gateway";
    static final String PROFILE_LABEL = "minimeter.io/fleet-profile";
    static final Pattern SECRET_LIKE = Pattern.compile("(?i)password|token|secret|tls-key-data|private");

    static final YAMLMapper YAML = new YAMLMapper();

    static Rendered defaults;
    static Rendered fleet;

    @BeforeAll
    static void renderOnce() {
        defaults = render(t -> t);
        fleet = render(t -> t.withValuesFile(FLEET));
    }

    @Test
    void lint_strict_reportsNoWarningAndNoError() {
        LintResult result = new Helm(CHART).lint().strict().call();

        assertThat(result.isFailed()).as("helm lint --strict: %s", result.getMessages()).isFalse();
        assertThat(result.getMessages()).noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
    }

    @Test
    void defaults_renderOneDaemonSet_itsConfigMap_andAHeadlessService() {
        assertThat(defaults.kinds()).containsExactlyInAnyOrder("ConfigMap", "Service", "DaemonSet");
        JsonNode ds = defaults.one("DaemonSet");
        assertThat(ds.at("/metadata/name").asText()).isEqualTo(FULLNAME);
        assertThat(text(podSpec(ds).at("/nodeSelector"), "minimeter.io/gateway")).isEqualTo("true");
        assertThat(podSpec(ds).at("/tolerations/0/key").asText()).isEqualTo("minimeter.io/edge");
        assertThat(defaults.one("Service").at("/spec/clusterIP").asText())
                .as("one address per node's gateway, nothing to balance").isEqualTo("None");
        assertThat(container(ds).get("image").asText()).isEqualTo("ghcr.io/minimeter/minimeter-gateway:0.1.0");
    }

    @Test
    void defaults_probesHitTheHealthEndpoints_onPort8080() {
        JsonNode c = container(defaults.one("DaemonSet"));

        assertThat(c.at("/ports/0/name").asText()).isEqualTo("http");
        assertThat(c.at("/ports/0/containerPort").asInt()).isEqualTo(8080);
        assertThat(c.at("/startupProbe/httpGet/path").asText()).isEqualTo("/q/health/started");
        assertThat(c.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/q/health/live");
        assertThat(c.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/q/health/ready");
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            assertThat(c.at("/" + probe + "/httpGet/port").asText()).as(probe).isEqualTo("http");
        }
        // A JVM on an SD card opening its registers: minutes, not the 30 s of a default probe.
        JsonNode startup = c.get("startupProbe");
        assertThat(startup.get("periodSeconds").asInt() * startup.get("failureThreshold").asInt())
                .isGreaterThanOrEqualTo(120);
    }

    @Test
    void defaults_securityContext_nonRoot_readOnlyRoot_noCapabilities_runtimeDefaultSeccomp() {
        JsonNode pod = podSpec(defaults.one("DaemonSet"));
        JsonNode c = container(defaults.one("DaemonSet"));

        assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.at("/securityContext/runAsUser").asInt()).isPositive();
        assertThat(pod.at("/securityContext/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");
        assertThat(pod.at("/automountServiceAccountToken").asBoolean(true)).isFalse();
        assertThat(pod.has("hostNetwork") || pod.has("hostPID") || pod.has("hostIPC")).isFalse();
        assertThat(pod.has("initContainers")).isFalse();

        JsonNode sc = c.get("securityContext");
        assertThat(sc.get("privileged").asBoolean()).isFalse();
        assertThat(sc.get("allowPrivilegeEscalation").asBoolean()).isFalse();
        assertThat(sc.get("readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(sc.get("runAsNonRoot").asBoolean()).isTrue();
        assertThat(strings(sc.at("/capabilities/drop"))).containsExactly("ALL");
        assertThat(sc.at("/capabilities/add").isMissingNode()).isTrue();
    }

    @Test
    void defaults_storageDirIsTheHostPathMount_tmpAnEmptyDir_configTheMountedFile() {
        JsonNode ds = defaults.one("DaemonSet");
        JsonNode c = container(ds);
        Properties config = properties(defaults.named("ConfigMap", FULLNAME));

        String storageMount = mount(c, "storage").get("mountPath").asText();
        assertThat(config.getProperty("storage.dir")).isEqualTo(storageMount).isEqualTo("/var/lib/minimeter");
        assertThat(mount(c, "storage").path("readOnly").asBoolean(false)).isFalse();
        JsonNode storage = volume(ds, "storage");
        assertThat(storage.at("/hostPath/path").asText()).isEqualTo("/var/lib/minimeter");
        assertThat(storage.at("/hostPath/type").asText()).isEqualTo("Directory");

        assertThat(mount(c, "tmp").get("mountPath").asText()).isEqualTo("/tmp");
        assertThat(volume(ds, "tmp").has("emptyDir")).isTrue();

        String configDir = mount(c, "config").get("mountPath").asText();
        assertThat(mount(c, "config").get("readOnly").asBoolean()).isTrue();
        assertThat(volume(ds, "config").at("/configMap/name").asText()).isEqualTo(FULLNAME);
        assertThat(env(c).get("QUARKUS_CONFIG_LOCATIONS").get("value").asText())
                .isEqualTo(configDir + "/application.properties");
        assertThat(defaults.named("ConfigMap", FULLNAME).at("/data").has("application.properties")).isTrue();
    }

    @Test
    void defaults_configMapHasNoMeters_soTheGatewayRunsItsBuiltInSimulatedMeter() {
        Properties config = properties(defaults.named("ConfigMap", FULLNAME));

        assertThat(config.stringPropertyNames()).noneMatch(k -> k.startsWith("meters."));
        assertThat(config.getProperty("mqtt.host")).as("no host: the embedded broker").isNull();
        assertThat(config.getProperty("mqtt.port")).isEqualTo("1883");
        assertThat(config.getProperty("ha.discovery.enabled")).isEqualTo("true");
        // Measured with the packaged gateway: without it the file named by QUARKUS_CONFIG_LOCATIONS
        // overrode MQTT_PORT from the environment; with it the environment wins, as with
        // config/application.properties in the working directory.
        assertThat(config.getProperty("config_ordinal")).isEqualTo("260");
    }

    @Test
    void daemonSet_rollingUpdate_deletesTheOldGatewayBeforeItCreatesTheNew() {
        JsonNode strategy = defaults.one("DaemonSet").at("/spec/updateStrategy");

        assertThat(strategy.get("type").asText()).isEqualTo("RollingUpdate");
        assertThat(strategy.at("/rollingUpdate/maxSurge").asInt(-1))
                .as("a surge pod would be a second gateway on the node's register").isZero();
        assertThat(strategy.at("/rollingUpdate/maxUnavailable").asInt()).isEqualTo(1);
    }

    @Test
    void daemonSet_onDelete_leavesTheRunningGatewaysAlone() {
        JsonNode strategy = render(t -> t.set("updateStrategy.type", "OnDelete"))
                .one("DaemonSet").at("/spec/updateStrategy");

        assertThat(strategy.get("type").asText()).isEqualTo("OnDelete");
        assertThat(strategy.has("rollingUpdate")).isFalse();
    }

    @Test
    void deployment_isOneReplica_recreated_onAClaimThatUninstallKeeps() {
        Rendered r = render(t -> t.set("kind", "Deployment"));

        assertThat(r.kinds()).containsExactlyInAnyOrder("ConfigMap", "Service", "Deployment", "PersistentVolumeClaim");
        JsonNode d = r.one("Deployment");
        assertThat(d.at("/spec/replicas").asInt()).isEqualTo(1);
        assertThat(d.at("/spec/strategy/type").asText()).isEqualTo("Recreate");
        JsonNode pvc = r.one("PersistentVolumeClaim");
        assertThat(pvc.at("/metadata/name").asText()).isEqualTo(FULLNAME + "-data");
        assertThat(text(pvc.at("/metadata/annotations"), "helm.sh/resource-policy")).isEqualTo("keep");
        assertThat(volume(d, "storage").at("/persistentVolumeClaim/claimName").asText()).isEqualTo(FULLNAME + "-data");
        assertThat(r.one("Service").at("/spec/clusterIP").isMissingNode()).isTrue();
    }

    @Test
    void deployment_existingClaim_isUsed_andNoClaimIsCreated() {
        Rendered r = render(t -> t.set("kind", "Deployment").set("storage.pvc.existingClaim", "meter-register"));

        assertThat(r.kinds()).doesNotContain("PersistentVolumeClaim");
        assertThat(volume(r.one("Deployment"), "storage").at("/persistentVolumeClaim/claimName").asText())
                .isEqualTo("meter-register");
    }

    @Test
    void fleet_eachProfileIsItsOwnDaemonSetAndConfigMap_onTheNodesLabelledWithIt() {
        assertThat(fleet.ofKind("Deployment")).isEmpty();
        List<JsonNode> daemonSets = fleet.ofKind("DaemonSet");
        assertThat(daemonSets).extracting(d -> d.at("/metadata/name").asText())
                .containsExactlyInAnyOrder(FULLNAME + "-lab", FULLNAME + "-panel", FULLNAME + "-shed");

        Set<String> selectors = new HashSet<>();
        Map<String, Set<String>> meterIdsByProfile = new LinkedHashMap<>();
        Set<String> gatewayIds = new HashSet<>();
        for (JsonNode ds : daemonSets) {
            String profile = ds.at("/metadata/name").asText().substring(FULLNAME.length() + 1);
            JsonNode pod = podSpec(ds);
            assertThat(text(pod.get("nodeSelector"), PROFILE_LABEL)).as(profile).isEqualTo(profile);
            assertThat(text(pod.get("nodeSelector"), "minimeter.io/gateway")).isEqualTo("true");
            assertThat(text(ds.at("/spec/selector/matchLabels"), "minimeter.io/profile")).isEqualTo(profile);
            assertThat(text(ds.at("/spec/template/metadata/labels"), "minimeter.io/profile")).isEqualTo(profile);
            selectors.add(ds.at("/spec/selector/matchLabels").toString());

            String configMap = volume(ds, "config").at("/configMap/name").asText();
            assertThat(configMap).isEqualTo(FULLNAME + "-" + profile);
            Properties config = properties(fleet.named("ConfigMap", configMap));
            meterIdsByProfile.put(profile, meterIds(config));
            gatewayIds.add(config.getProperty("gateway.id"));
        }
        assertThat(selectors).as("no DaemonSet adopts another's pods").hasSize(3);
        assertThat(gatewayIds).as("one MQTT client id and last will per gateway").hasSize(3);
        assertThat(meterIdsByProfile).containsEntry("shed", Set.of("shed-main"))
                .containsEntry("panel", Set.of("panel-main", "panel-solar"))
                .containsEntry("lab", Set.of("lab-house", "lab-shop"));
    }

    @Test
    void fleet_hardwareProfiles_mountTheirCharDevices_withTheDeviceGroups_andPluginResources() {
        JsonNode panel = fleet.named("DaemonSet", FULLNAME + "-panel");
        JsonNode c = container(panel);

        Map<String, String> devices = new LinkedHashMap<>();
        for (JsonNode v : podSpec(panel).get("volumes")) {
            if ("CharDevice".equals(v.at("/hostPath/type").asText())) {
                devices.put(v.get("name").asText(), v.at("/hostPath/path").asText());
            }
        }
        assertThat(devices.values()).containsExactlyInAnyOrder("/dev/gpiochip0", "/dev/spidev0.0", "/dev/spidev0.1");
        devices.forEach((name, path) -> assertThat(mount(c, name).get("mountPath").asText()).isEqualTo(path));
        assertThat(podSpec(panel).at("/securityContext/supplementalGroups").toString()).isEqualTo("[997,999]");
        for (String side : List.of("requests", "limits")) {
            assertThat(c.at("/resources/" + side).get("squat.ai/gpio").asInt()).as(side).isEqualTo(1);
            assertThat(c.at("/resources/" + side).get("squat.ai/spi").asInt()).as(side).isEqualTo(1);
        }
        assertThat(c.at("/resources/requests/cpu").asText()).as("the profile's own resources").isEqualTo("250m");
        assertThat(c.at("/securityContext/privileged").asBoolean()).as("devices without privileged").isFalse();
        assertThat(strings(c.at("/securityContext/capabilities/drop"))).containsExactly("ALL");

        JsonNode lab = fleet.named("DaemonSet", FULLNAME + "-lab");
        assertThat(podSpec(lab).get("volumes")).noneMatch(v -> "CharDevice".equals(v.at("/hostPath/type").asText()));
        assertThat(podSpec(lab).at("/securityContext/supplementalGroups").isMissingNode()).isTrue();
        assertThat(container(lab).at("/resources/limits").has("squat.ai/gpio")).isFalse();
    }

    @Test
    void fleet_configMaps_holdTheKeysAsTheGatewayReadsThem() {
        Properties panel = properties(fleet.named("ConfigMap", FULLNAME + "-panel"));
        Properties lab = properties(fleet.named("ConfigMap", FULLNAME + "-lab"));

        // YAML numbers reach Helm as float64: a large one must not come out as 8.192e+06.
        assertThat(panel.getProperty("meters.panel-main.spi.clock-hz")).isEqualTo("8192000");
        assertThat(panel.getProperty("meters.panel-main.ads131m04.drdy-pin")).isEqualTo("25");
        assertThat(panel.getProperty("meters.panel-solar.atm90e32.igain")).isEqualTo("27961,27961");
        assertThat(properties(fleet.named("ConfigMap", FULLNAME + "-shed")).getProperty("meters.shed-main.frontend.vref"))
                .isEqualTo("3.3");
        assertThat(panel.getProperty("meter.log-interval")).isEqualTo("1m");
        assertThat(panel.getProperty("hal.gpio.provider")).isEqualTo("gpiod");
        assertThat(lab.getProperty("hal.gpio.provider")).as("the profile's config wins").isEqualTo("simulated");
        assertThat(lab.getProperty("storage.save-interval")).as("the rest is inherited").isEqualTo("5s");
        assertThat(lab.getProperty("gateway.id")).isEqualTo("lab-sim");
        assertThat(panel.getProperty("gateway.id")).as("default: the profile's name").isEqualTo("panel");
        assertThat(panel.getProperty("mqtt.host")).isEqualTo("mqtt.energy.svc.cluster.local");
        assertThat(panel.getProperty("mqtt.tls")).isEqualTo("true");
    }

    @Test
    void fleet_noSecretValueInAnyConfigMap_secretsReachTheProcessOnlyFromSecrets() {
        assertThat(fleet.kinds()).as("the chart creates no Secret: it only refers to existing ones").doesNotContain("Secret");
        for (JsonNode cm : fleet.ofKind("ConfigMap")) {
            Properties config = properties(cm);
            assertThat(config.stringPropertyNames()).as(cm.at("/metadata/name").asText())
                    .noneMatch(k -> SECRET_LIKE.matcher(k).find());
            // The TLS keys in the file are paths into the mounted Secret, never PEM.
            assertThat(cm.at("/data/application.properties").asText()).doesNotContain("-----BEGIN");
            assertThat(config.getProperty("mqtt.tls-ca")).isEqualTo("/etc/minimeter/tls/ca.crt");
        }
        for (JsonNode ds : fleet.ofKind("DaemonSet")) {
            JsonNode c = container(ds);
            Map<String, JsonNode> env = env(c);
            assertThat(env.get("MQTT_PASSWORD").at("/valueFrom/secretKeyRef/name").asText()).isEqualTo("minimeter-mqtt");
            assertThat(env.get("MQTT_PASSWORD").at("/valueFrom/secretKeyRef/key").asText()).isEqualTo("password");
            assertThat(env.get("API_TOKEN_SHA256").at("/valueFrom/secretKeyRef/name").asText()).isEqualTo("minimeter-api");
            env.forEach((name, e) -> {
                if (SECRET_LIKE.matcher(name).find()) {
                    assertThat(e.has("value")).as(name + " must come from a Secret").isFalse();
                }
            });
            assertThat(mount(c, "mqtt-tls").get("mountPath").asText()).isEqualTo("/etc/minimeter/tls");
            assertThat(mount(c, "mqtt-tls").get("readOnly").asBoolean()).isTrue();
            JsonNode tls = volume(ds, "mqtt-tls");
            assertThat(tls.at("/secret/secretName").asText()).isEqualTo("minimeter-mqtt-tls");
            assertThat(tls.at("/secret/items/0/path").asText()).isEqualTo("ca.crt");
        }
    }

    @Test
    void fleet_aProfilesConfigChange_restartsOnlyThatProfilesGateways() {
        Rendered changed = render(t -> t.withValuesFile(FLEET).set("fleet.profiles.lab.config.meter\\.log-interval", "2m"));

        for (String profile : List.of("lab", "panel", "shed")) {
            String before = checksum(fleet.named("DaemonSet", FULLNAME + "-" + profile));
            String after = checksum(changed.named("DaemonSet", FULLNAME + "-" + profile));
            if (profile.equals("lab")) {
                assertThat(after).as(profile).isNotEqualTo(before);
            } else {
                assertThat(after).as(profile).isEqualTo(before);
            }
        }
    }

    @Test
    void fleet_serviceMonitor_scrapesEveryGatewaysMetrics() {
        JsonNode sm = fleet.one("ServiceMonitor");
        JsonNode service = fleet.one("Service");

        assertThat(sm.at("/spec/endpoints/0/port").asText()).isEqualTo("http");
        assertThat(sm.at("/spec/endpoints/0/path").asText()).isEqualTo("/q/metrics");
        assertThat(text(sm.at("/metadata/labels"), "release")).isEqualTo("prometheus");
        assertThat(sm.at("/spec/selector/matchLabels")).isEqualTo(service.at("/spec/selector"));
        assertThat(service.at("/spec/ports/0/targetPort").asText()).isEqualTo("http");
        for (JsonNode ds : fleet.ofKind("DaemonSet")) {
            JsonNode labels = ds.at("/spec/template/metadata/labels");
            service.at("/spec/selector").fields().forEachRemaining(
                    e -> assertThat(text(labels, e.getKey())).isEqualTo(e.getValue().asText()));
        }
    }

    @Test
    void privileged_isAnExplicitOptIn_thatKubernetesAccepts() {
        JsonNode sc = container(render(t -> t.set("hardware.privileged", "true")).one("DaemonSet")).get("securityContext");

        assertThat(sc.get("privileged").asBoolean()).isTrue();
        assertThat(sc.get("allowPrivilegeEscalation").asBoolean())
                .as("the API refuses privileged with allowPrivilegeEscalation=false").isTrue();
        assertThat(sc.get("readOnlyRootFilesystem").asBoolean()).isTrue();
    }

    @Test
    void storageInitOwnership_isTheOnlyRootProcess_withOnlyChown() {
        JsonNode pod = podSpec(render(t -> t.set("storage.hostPath.initOwnership.enabled", "true")).one("DaemonSet"));

        JsonNode init = pod.at("/initContainers/0");
        assertThat(init.at("/securityContext/runAsUser").asInt()).isZero();
        assertThat(strings(init.at("/securityContext/capabilities/drop"))).containsExactly("ALL");
        assertThat(strings(init.at("/securityContext/capabilities/add"))).containsExactlyInAnyOrder("CHOWN", "FOWNER");
        assertThat(init.get("command").toString()).contains("chown 185:185 /storage");
        assertThat(pod.get("volumes")).anyMatch(v -> "DirectoryOrCreate".equals(v.at("/hostPath/type").asText()));
        assertThat(container(pod.get("containers")).at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
    }

    @Test
    void notes_sayHowToLabelTheNodes_andPrepareTheirStorage() {
        String notes = new Helm(CHART).install().withName(RELEASE).withNamespace("energy").clientOnly()
                .withDryRunOption(DryRun.CLIENT).withValuesFile(FLEET).call().getOutput();

        assertThat(notes).contains(FULLNAME + "-panel: minimeter.io/gateway=true " + PROFILE_LABEL + "=panel");
        assertThat(notes).contains("sudo install -d -o 185 -g 185 -m 0750 /var/lib/minimeter");
        assertThat(notes).contains("mqtt.energy.svc.cluster.local:8883 over TLS");
        assertThat(notes).as("every profile requests its device plugin resources").doesNotContain("no device plugin");
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of(Map.of("kind", "StatefulSet"), "at '/kind': value must be one of 'DaemonSet', 'Deployment'"),
                Arguments.of(Map.of("meters.House.source", "simulator"), "'House' does not match pattern '^[a-z0-9_-]+$'"),
                Arguments.of(Map.of("meters.outbox.source", "simulator"), "at '/meters/outbox'"),
                Arguments.of(Map.of("fleet.profiles.lab.meters.Lab-1.source", "simulator"), "at '/fleet/profiles/lab/meters'"),
                Arguments.of(Map.of("meters.house.frequency", "55"), "at '/meters/house/frequency': value must be one of 50, 60"),
                Arguments.of(Map.of("meters.house.gpio.pulse10", "40"), "at '/meters/house/gpio/pulse10'"),
                Arguments.of(Map.of("meters.house.storage\\.dir", "/tmp/x"), "'storage.dir'"),
                Arguments.of(Map.of("mqtt.port", "-1"), "at '/mqtt/port': minimum: got -1, want 1"),
                Arguments.of(Map.of("mqtt.password", "hunter2"), "at '/mqtt': additional properties 'password' not allowed"),
                Arguments.of(Map.of("config.mqtt\\.password", "hunter2"), "at '/config/mqtt.password'"),
                Arguments.of(Map.of("config.api\\.token-sha256", "ab12"), "at '/config/api.token-sha256'"),
                Arguments.of(Map.of("fleet.profiles.shed.config.mqtt\\.password", "hunter2"),
                        "at '/fleet/profiles/shed/config/mqtt.password'"),
                Arguments.of(Map.of("config.storage\\.dir", "/data"), "at '/config/storage.dir'"),
                Arguments.of(Map.of("extraEnv[0].name", "MQTT_PASSWORD", "extraEnv[0].value", "hunter2"), "at '/extraEnv/0'"),
                Arguments.of(Map.of("mqtt.tls.certKey", "tls.crt"), "at '/mqtt/tls/keyKey'"),
                Arguments.of(Map.of("securityContext.runAsUser", "0"), "at '/securityContext/runAsUser'"),
                Arguments.of(Map.of("hardware.devices[0]", "/etc/shadow"), "at '/hardware/devices/0'"),
                Arguments.of(Map.of("hardware.resources.gpio", "1"), "invalid propertyName 'gpio'"),
                Arguments.of(Map.of("updateStrategy.type", "Recreate"), "at '/updateStrategy/type'"),
                Arguments.of(Map.of("fleet.profiles.Shed.gatewayId", "shed"), "invalid propertyName 'Shed'"),
                Arguments.of(Map.of("storage.type", "emptyDir"), "at '/storage/type'"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("badValues")
    void schema_refusesABadValue_namingTheKey(Map<String, String> values, String message) {
        assertThatThrownBy(() -> render(t -> setAll(t, values)))
                .hasMessageContaining("values don't meet the specifications of the schema")
                .hasMessageContaining(message);
    }

    static Stream<Arguments> badCombinations() {
        return Stream.of(
                Arguments.of(Map.of("storage.type", "pvc"), "storage.type=pvc with kind=DaemonSet"),
                Arguments.of(Map.of("kind", "Deployment", "fleet.profiles.lab.gatewayId", "lab"),
                        "fleet.profiles needs kind=DaemonSet"),
                Arguments.of(Map.of("kind", "Deployment", "storage.type", "hostPath", "nodeSelector", "null"),
                        "storage.type=hostPath with kind=Deployment needs a nodeSelector"),
                Arguments.of(Map.of("mqtt.tls.enabled", "true"), "mqtt.tls.enabled needs mqtt.host"),
                Arguments.of(Map.of("serviceMonitor.enabled", "true", "service.enabled", "false"),
                        "serviceMonitor.enabled needs service.enabled"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("badCombinations")
    void template_refusesValuesThatContradictEachOther_sayingWhy(Map<String, String> values, String message) {
        assertThatThrownBy(() -> render(t -> setAll(t, values))).hasMessageContaining(message);
    }

    // --- rendering and reading the objects ---

    static Rendered render(UnaryOperator<TemplateCommand> options) {
        String yaml = options.apply(new Helm(CHART).template().withName(RELEASE).withNamespace("energy")).call();
        List<JsonNode> objects = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc != null && doc.has("kind")) {
                    objects.add(doc);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the rendered chart is not YAML:\n" + yaml, e);
        }
        return new Rendered(objects);
    }

    static TemplateCommand setAll(TemplateCommand t, Map<String, String> values) {
        TemplateCommand out = t;
        for (var e : new TreeMap<>(values).entrySet()) {
            out = out.set(e.getKey(), e.getValue());
        }
        return out;
    }

    record Rendered(List<JsonNode> objects) {

        List<String> kinds() {
            return objects.stream().map(o -> o.get("kind").asText()).toList();
        }

        List<JsonNode> ofKind(String kind) {
            return objects.stream().filter(o -> kind.equals(o.get("kind").asText())).toList();
        }

        JsonNode one(String kind) {
            List<JsonNode> found = ofKind(kind);
            assertThat(found).as("one %s in %s", kind, kinds()).hasSize(1);
            return found.get(0);
        }

        JsonNode named(String kind, String name) {
            return ofKind(kind).stream().filter(o -> name.equals(o.at("/metadata/name").asText())).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + kinds()));
        }
    }

    static JsonNode podSpec(JsonNode workload) {
        return workload.at("/spec/template/spec");
    }

    static JsonNode container(JsonNode workloadOrContainers) {
        JsonNode containers = workloadOrContainers.isArray() ? workloadOrContainers
                : podSpec(workloadOrContainers).get("containers");
        return StreamSupport.stream(containers.spliterator(), false)
                .filter(c -> "gateway".equals(c.get("name").asText())).findFirst()
                .orElseThrow(() -> new AssertionError("no gateway container"));
    }

    static JsonNode mount(JsonNode container, String volume) {
        return named(container.get("volumeMounts"), volume, "volume mount");
    }

    static JsonNode volume(JsonNode workload, String name) {
        return named(podSpec(workload).get("volumes"), name, "volume");
    }

    static Map<String, JsonNode> env(JsonNode container) {
        Map<String, JsonNode> env = new LinkedHashMap<>();
        container.get("env").forEach(e -> env.put(e.get("name").asText(), e));
        return env;
    }

    static JsonNode named(JsonNode list, String name, String what) {
        return StreamSupport.stream(list.spliterator(), false).filter(n -> name.equals(n.get("name").asText()))
                .findFirst().orElseThrow(() -> new AssertionError("no " + what + " " + name + " in " + list));
    }

    static String text(JsonNode map, String key) {
        JsonNode v = map.get(key);
        return v == null ? null : v.asText();
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static Properties properties(JsonNode configMap) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(configMap.at("/data/application.properties").asText()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    static Set<String> meterIds(Properties config) {
        Set<String> ids = new TreeSet<>();
        for (String key : config.stringPropertyNames()) {
            if (key.startsWith("meters.")) {
                ids.add(key.substring("meters.".length(), key.indexOf('.', "meters.".length())));
            }
        }
        return ids;
    }

    static String checksum(JsonNode workload) {
        return text(workload.at("/spec/template/metadata/annotations"), "checksum/config");
    }
}
