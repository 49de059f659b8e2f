package org.minimeter.gateway;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The dependency rules of STYLE.md, checked on the compiled main classes. */
class ArchitectureTest {

    private static final String BASE = "org.minimeter.gateway";
    private static JavaClasses main;

    @BeforeAll
    static void importMain() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(BASE);
    }

    @Test
    void metering_usesJavaOnly() {
        classes().that().resideInAPackage(BASE + ".metering..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", BASE + ".metering..")
                .check(main);
    }

    @Test
    void hal_dependsOnMeteringOnlyAndNoFramework() {
        noClasses().that().resideInAPackage(BASE + ".hal..")
                .should().dependOnClassesThat().resideInAnyPackage(BASE + ".app..", BASE + ".mqtt..",
                        BASE + ".persistence..", BASE + ".outputs..", BASE + ".api..",
                        "io.quarkus..", "jakarta..")
                .check(main);
    }

    @Test
    void mqttAndPersistence_neverImportHal() {
        noClasses().that().resideInAnyPackage(BASE + ".mqtt..", BASE + ".persistence..")
                .should().dependOnClassesThat().resideInAPackage(BASE + ".hal..")
                .allowEmptyShould(true)
                .check(main);
    }

    @Test
    void pi4j_onlyInHalPi4j() {
        noClasses().that().resideOutsideOfPackage(BASE + ".hal.pi4j..")
                .should().dependOnClassesThat().resideInAPackage("com.pi4j..")
                .check(main);
    }

    @Test
    void hivemq_onlyInMqtt() {
        noClasses().that().resideOutsideOfPackage(BASE + ".mqtt..")
                .should().dependOnClassesThat().resideInAPackage("com.hivemq..")
                .check(main);
    }

    @Test
    void tahu_onlyInSparkplug() {
        // Sparkplug payloads (Eclipse Tahu, protobuf) are one protocol package's business, like HiveMQ is mqtt's
        noClasses().that().resideOutsideOfPackage(BASE + ".sparkplug..")
                .should().dependOnClassesThat().resideInAnyPackage("org.eclipse.tahu..", "com.google.protobuf..")
                .check(main);
    }

    @Test
    void mqttLibraries_onlyInMqtt() {
        noClasses().that().resideOutsideOfPackage(BASE + ".mqtt..")
                .should().dependOnClassesThat().resideInAnyPackage("io.moquette..")
                .check(main);
    }

    @Test
    void netty_onlyInTheProtocolPackages() {
        noClasses().that().resideOutsideOfPackages(BASE + ".mqtt..", BASE + ".modbus..")
                .should().dependOnClassesThat().resideInAnyPackage("io.netty..")
                .check(main);
    }

    @Test
    void modbusLibrary_onlyInModbus() {
        noClasses().that().resideOutsideOfPackage(BASE + ".modbus..")
                .should().dependOnClassesThat().resideInAPackage("com.digitalpetri..")
                .check(main);
    }

    @Test
    void modbus_registerMapsArePureJava_onlyTheServerUsesTheLibrary() {
        classes().that().resideInAPackage(BASE + ".modbus..").and().haveNameNotMatching(".*\\.MeterServer(\\$.*)?")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", BASE + ".modbus..")
                .check(main);
    }

    @Test
    void micrometer_onlyInApi() {
        // the domain counts with plain java; only the metrics surface reads it through Micrometer
        noClasses().that().resideOutsideOfPackage(BASE + ".api..")
                .should().dependOnClassesThat().resideInAPackage("io.micrometer..")
                .check(main);
    }

    @Test
    void persistence_isPureJava() {
        classes().that().resideInAPackage(BASE + ".persistence..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", BASE + ".persistence..",
                        BASE + ".metering..")
                .check(main);
    }

    @Test
    void nothingWritesToStandardOutput() {
        // the command-line modes' report is their user interface; everything else logs
        noClasses().that().doNotHaveFullyQualifiedName(BASE + ".app.Commands").should()
                .accessField(System.class, "out").orShould().accessField(System.class, "err").check(main);
    }
}
