package org.minimeter.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.deployment.util.GlobUtil;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The native profile's registration checked against the jars this build really runs on: the
 * JSON under {@code META-INF/native-image/org.minimeter/minimeter-gateway}, the
 * {@code @RegisterForReflection} classes, and the {@code quarkus.native.*} keys of
 * {@code application.properties}. No native build runs on this machine (no GraalVM or Mandrel),
 * so nothing else notices a class a library renamed, a native library that moved in its jar, or
 * a library the README's native table promises to cover: a native build would stop on it, or
 * build and fail on the board at the first SPI transfer.
 */
class NativeRegistrationTest {

    static final Path METADATA = Path.of("src", "main", "resources", "META-INF", "native-image", "org.minimeter",
            "minimeter-gateway");
    static final Path PROPERTIES = Path.of("src", "main", "resources", "application.properties");
    static final Path README = Path.of("README.md");
    static final String BASE = "org.minimeter.gateway";
    static final String RUN_TIME = "--initialize-at-run-time=";
    /** The files under {@link #METADATA}; native-image reads them by itself. */
    static final List<String> CONFIG_FILES = List.of("reflect-config.json", "jni-config.json", "proxy-config.json");
    /** Attributes of the legacy reflect- and jni-config format; anything else is a misspelling. */
    static final Set<String> TYPE_KEYS = Set.of("name", "condition", "methods", "queriedMethods", "fields",
            "allDeclaredConstructors", "allPublicConstructors", "allDeclaredMethods", "allPublicMethods",
            "allDeclaredFields", "allPublicFields", "allDeclaredClasses", "allPublicClasses",
            "queryAllDeclaredMethods", "queryAllPublicMethods", "queryAllDeclaredConstructors",
            "queryAllPublicConstructors", "unsafeAllocated");
    static final Set<String> FIELD_KEYS = Set.of("name", "allowWrite", "allowUnsafeAccess");
    static final Set<String> METHOD_KEYS = Set.of("name", "parameterTypes");
    static final Map<String, Class<?>> PRIMITIVES = Map.of("boolean", boolean.class, "byte", byte.class,
            "char", char.class, "short", short.class, "int", int.class, "long", long.class, "float", float.class,
            "double", double.class, "void", void.class);
    static final Pattern PACKAGE_IN_BACKTICKS = Pattern.compile("`([a-z][a-z0-9_]*(?:\\.[a-z][a-z0-9_]*)+)`");

    static final ObjectMapper JSON = new ObjectMapper();
    static ClassPath classPath;

    @BeforeAll
    static void indexTheClassPath() {
        classPath = ClassPath.ofThisJvm();
    }

    @Test
    void reflectConfig_namesOnlyClassesFieldsAndMethodsThatExist() {
        for (JsonNode type : config("reflect-config.json")) {
            checkType(type, "reflect-config.json");
        }
    }

    /**
     * Each substitution replaces methods of a Moquette class by name and signature: a renamed
     * class or a changed signature would make native-image refuse the substitution, so both are
     * checked against the Moquette on the class path.
     */
    @Test
    void moquetteSubstitutions_targetClassesAndMethodsThatExist() throws Exception {
        Class<?> holder = Class.forName("org.minimeter.gateway.mqtt.MoquetteSubstitutions");
        assertThat(holder.getDeclaredClasses()).as("substitutions").hasSize(2);
        for (Class<?> sub : holder.getDeclaredClasses()) {
            var target = sub.getAnnotation(com.oracle.svm.core.annotate.TargetClass.class);
            assertThat(target).as("%s is a @TargetClass", sub.getSimpleName()).isNotNull();
            Class<?> original = load(target.className(), sub.getSimpleName());
            var substituted = Arrays.stream(sub.getDeclaredMethods())
                    .filter(m -> m.isAnnotationPresent(com.oracle.svm.core.annotate.Substitute.class)).toList();
            assertThat(substituted).as("%s substitutes methods", sub.getSimpleName()).isNotEmpty();
            for (var m : substituted) {
                var same = original.getDeclaredMethod(m.getName(), m.getParameterTypes());
                assertThat(same.getReturnType()).as("%s.%s", original.getName(), m.getName())
                        .isEqualTo(m.getReturnType());
            }
        }
    }

    @Test
    void jniConfig_namesOnlyClassesFieldsAndMethodsThatExist() {
        for (JsonNode type : config("jni-config.json")) {
            checkType(type, "jni-config.json");
        }
    }

    @Test
    void proxyConfig_namesInterfacesThatExist() {
        for (JsonNode proxy : config("proxy-config.json")) {
            assertThat(names(proxy)).as("proxy-config.json: %s", proxy).contains("interfaces")
                    .isSubsetOf("interfaces", "condition");
            checkCondition(proxy, "proxy-config.json");
            assertThat(proxy.path("interfaces")).as("proxy-config.json: %s", proxy).isNotEmpty();
            for (JsonNode name : proxy.path("interfaces")) {
                assertThat(load(name.asText(), "proxy-config.json").isInterface())
                        .as("proxy-config.json: %s is not an interface", name.asText()).isTrue();
            }
        }
    }

    @Test
    void registerForReflection_targetsAndClassNamesResolve() {
        List<Class<?>> annotated = annotatedMainClasses();
        assertThat(annotated).as("classes under %s with @RegisterForReflection", BASE).isNotEmpty();
        for (Class<?> owner : annotated) {
            assertThat(registered(owner)).as("%s registers nothing", owner.getName()).isNotEmpty();
        }
    }

    @Test
    void protobufSchemas_everyMessageIsRegisteredWithItsBuilder() {
        Set<Class<?>> registered = annotatedMainClasses().stream().flatMap(c -> registered(c).stream())
                .collect(Collectors.toSet());
        Set<Class<?>> schemas = registered.stream().filter(NativeRegistrationTest::isProtobuf)
                .map(NativeRegistrationTest::outermost).collect(Collectors.toSet());
        assertThat(schemas).as("the Sparkplug B schema is registered").isNotEmpty();
        for (Class<?> schema : schemas) {
            Set<Class<?>> messagesAndBuilders = nested(schema).stream()
                    .filter(c -> isProtobuf(c) && !c.isInterface() && !Modifier.isAbstract(c.getModifiers()))
                    .collect(Collectors.toSet());
            assertThat(registered).as("messages and builders of %s", schema.getName())
                    .containsAll(messagesAndBuilders);
        }
    }

    @Test
    void runTimeInitialization_namesClassesOrPackagesOnTheClassPath() {
        List<String> runTime = runTimeInitialized();
        assertThat(runTime).isNotEmpty().doesNotHaveDuplicates();
        for (String name : runTime) {
            if (!isClass(name)) {
                assertThat(classPath.hasPackage(name))
                        .as("%s%s is neither a class nor a package on the class path", RUN_TIME, name).isTrue();
            }
        }
    }

    @Test
    void buildArgs_namingConfigurationResources_nameResourcesThatExist() {
        for (String arg : buildArgs()) {
            Matcher m = Pattern.compile("^-H:\\w+Resources=(.+)$").matcher(arg);
            if (m.matches()) {
                for (String resource : m.group(1).split(",")) {
                    assertThat(classPath.resources()).as("%s", arg).contains(resource);
                }
            }
        }
    }

    @Test
    void resourceIncludes_eachMatchesAResourceInTheJars() {
        List<String> globs = list(property("quarkus.native.resources.includes"));
        assertThat(globs).isNotEmpty();
        for (String glob : globs) {
            Pattern regex = Pattern.compile(GlobUtil.toRegexPattern(glob));
            assertThat(classPath.resources()).as("quarkus.native.resources.includes: %s matches no resource", glob)
                    .anyMatch(r -> regex.matcher(r).matches());
        }
    }

    @Test
    void readmeNativeTable_everyLibraryListedHasItsEntry_andEveryEntryItsLibrary() {
        List<List<String>> rows = readmeTable();
        assertThat(rows).as("the table of README section \"Native image notes\"").hasSizeGreaterThanOrEqualTo(5);
        Set<String> registered = registeredNames();
        Set<String> packages = new TreeSet<>();
        for (List<String> row : rows) {
            assertThat(row).as("README native table row %s: library | needs | registered in | verified", row)
                    .hasSize(4);
            List<String> rowPackages = packagesIn(row.get(0));
            assertThat(rowPackages).as("README native table row %s names its Java packages in backticks", row.get(0))
                    .isNotEmpty();
            packages.addAll(rowPackages);
            if (namesOurRegistration(row.get(2))) {
                for (String p : rowPackages) {
                    assertThat(registered).as("README says %s is registered in %s", p, row.get(2))
                            .anyMatch(n -> under(n, p));
                }
            }
            assertThat(row.get(3)).as("verified how, for %s", row.get(0)).isNotBlank();
        }
        for (String name : registered) {
            if (!Stream.of("java.", "javax.", "jdk.", "sun.").anyMatch(name::startsWith)) {
                assertThat(packages).as("%s is registered, but no library of the README's native table owns it", name)
                        .anyMatch(p -> under(name, p));
            }
        }
    }

    // --- the registration, read as native-image and Quarkus read it

    static JsonNode config(String file) {
        try {
            JsonNode root = JSON.readTree(METADATA.resolve(file).toFile());
            assertThat(root.isArray()).as("%s is a JSON array", file).isTrue();
            assertThat(root).as("%s is empty", file).isNotEmpty();
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(file, e);
        }
    }

    static void checkType(JsonNode type, String file) {
        String name = type.path("name").asText();
        assertThat(names(type)).as("%s: attributes of %s", file, name).isSubsetOf(TYPE_KEYS);
        Class<?> c = load(name, file);
        checkCondition(type, file);
        for (JsonNode field : type.path("fields")) {
            assertThat(names(field)).as("%s: %s field %s", file, name, field).isSubsetOf(FIELD_KEYS);
            try {
                c.getDeclaredField(field.path("name").asText());
            } catch (NoSuchFieldException e) {
                fail("%s: %s has no field %s", file, name, field.path("name").asText());
            }
        }
        for (String key : List.of("methods", "queriedMethods")) {
            for (JsonNode method : type.path(key)) {
                assertThat(names(method)).as("%s: %s method %s", file, name, method).isSubsetOf(METHOD_KEYS);
                checkMethod(c, method, file);
            }
        }
        for (String key : List.of("allDeclaredFields", "allPublicFields")) {
            if (type.path(key).asBoolean()) {
                assertThat(key.startsWith("allPublic") ? c.getFields() : c.getDeclaredFields())
                        .as("%s: %s of %s registers nothing", file, key, name).isNotEmpty();
            }
        }
    }

    static void checkCondition(JsonNode entry, String file) {
        JsonNode condition = entry.path("condition");
        if (!condition.isMissingNode()) {
            assertThat(names(condition)).as("%s: condition %s", file, condition).containsOnly("typeReachable");
            load(condition.path("typeReachable").asText(), file);
        }
    }

    static void checkMethod(Class<?> c, JsonNode method, String file) {
        String name = method.path("name").asText();
        List<Class<?>> params = new ArrayList<>();
        for (JsonNode p : method.path("parameterTypes")) {
            params.add(type(p.asText(), file));
        }
        Class<?>[] signature = params.toArray(Class<?>[]::new);
        try {
            if ("<init>".equals(name)) {
                c.getDeclaredConstructor(signature);
            } else {
                c.getDeclaredMethod(name, signature);
            }
        } catch (NoSuchMethodException e) {
            fail("%s: %s has no method %s%s", file, c.getName(), name, params);
        }
    }

    static List<Class<?>> annotatedMainClasses() {
        return classPath.classesUnder(BASE, true).stream().<Class<?>>map(n -> load(n, "main classes"))
                .filter(c -> c.isAnnotationPresent(RegisterForReflection.class)).toList();
    }

    /** Every class a {@code @RegisterForReflection} names; a target that no longer exists fails here. */
    static List<Class<?>> registered(Class<?> owner) {
        RegisterForReflection r = owner.getAnnotation(RegisterForReflection.class);
        List<Class<?>> out = new ArrayList<>(Arrays.asList(r.targets()));
        for (String n : r.classNames()) {
            out.add(load(n, "@RegisterForReflection on " + owner.getName()));
        }
        return out;
    }

    static List<String> buildArgs() {
        return list(property("quarkus.native.additional-build-args"));
    }

    static List<String> runTimeInitialized() {
        List<String> out = new ArrayList<>();
        for (String arg : buildArgs()) {
            if (arg.startsWith(RUN_TIME)) {
                out.addAll(Arrays.asList(arg.substring(RUN_TIME.length()).split(",")));
            }
        }
        return out;
    }

    /** The class and package names the registration mentions (resources are checked on their own). */
    static Set<String> registeredNames() {
        Set<String> out = new TreeSet<>();
        for (String file : CONFIG_FILES) {
            for (JsonNode entry : config(file)) {
                if (entry.has("name")) {
                    out.add(entry.path("name").asText());
                }
                entry.path("interfaces").forEach(n -> out.add(n.asText()));
            }
        }
        annotatedMainClasses().forEach(owner -> registered(owner).forEach(c -> out.add(c.getName())));
        out.addAll(runTimeInitialized());
        return out;
    }

    static String property(String key) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(PROPERTIES)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String value = p.getProperty(key);
        assertThat(value).as("%s in %s", key, PROPERTIES).isNotBlank();
        return value;
    }

    /** A SmallRye Config list: comma-separated, {@code \,} for a comma inside an element. */
    static List<String> list(String value) {
        List<String> out = new ArrayList<>();
        StringBuilder element = new StringBuilder();
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            if (ch == '\\' && i + 1 < value.length() && value.charAt(i + 1) == ',') {
                element.append(',');
                i++;
            } else if (ch == ',') {
                out.add(element.toString().strip());
                element.setLength(0);
            } else {
                element.append(ch);
            }
        }
        out.add(element.toString().strip());
        out.removeIf(String::isEmpty);
        return out;
    }

    static List<List<String>> readmeTable() {
        List<String> lines;
        try {
            lines = Files.readAllLines(README, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int start = lines.indexOf("## Native image notes");
        assertThat(start).as("README section \"## Native image notes\"").isNotNegative();
        List<List<String>> rows = new ArrayList<>();
        boolean inTable = false;
        for (String line : lines.subList(start + 1, lines.size())) {
            if (line.startsWith("## ") || (inTable && !line.startsWith("|"))) {
                break;
            }
            if (line.startsWith("|")) {
                List<String> cells = Arrays.stream(line.substring(1, line.lastIndexOf('|')).split("\\|"))
                        .map(String::strip).toList();
                if (inTable && !cells.get(0).startsWith("---")) {
                    rows.add(cells);
                }
                inTable = true;
            }
        }
        return rows;
    }

    static List<String> packagesIn(String cell) {
        List<String> out = new ArrayList<>();
        Matcher m = PACKAGE_IN_BACKTICKS.matcher(cell);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    static boolean namesOurRegistration(String cell) {
        return Stream.concat(CONFIG_FILES.stream(), Stream.of("application.properties", "NativeRegistration"))
                .anyMatch(cell::contains);
    }

    static boolean under(String name, String pkg) {
        return name.equals(pkg) || name.startsWith(pkg + ".");
    }

    // --- classes, without initialising them

    static Class<?> load(String name, String where) {
        try {
            return Class.forName(name, false, NativeRegistrationTest.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new AssertionError(where + ": class " + name + " is not on the class path (" + e + ")", e);
        }
    }

    static boolean isClass(String name) {
        try {
            Class.forName(name, false, NativeRegistrationTest.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    static Class<?> type(String name, String where) {
        if (name.endsWith("[]")) {
            return type(name.substring(0, name.length() - 2), where).arrayType();
        }
        Class<?> primitive = PRIMITIVES.get(name);
        return primitive != null ? primitive : load(name, where);
    }

    static boolean isProtobuf(Class<?> c) {
        return load("com.google.protobuf.Message", "protobuf").isAssignableFrom(c)
                || load("com.google.protobuf.Message$Builder", "protobuf").isAssignableFrom(c);
    }

    static Class<?> outermost(Class<?> c) {
        Class<?> out = c;
        while (out.getDeclaringClass() != null) {
            out = out.getDeclaringClass();
        }
        return out;
    }

    static Set<Class<?>> nested(Class<?> c) {
        Set<Class<?>> out = new LinkedHashSet<>();
        for (Class<?> inner : c.getDeclaredClasses()) {
            out.add(inner);
            out.addAll(nested(inner));
        }
        return out;
    }

    static Set<String> names(JsonNode object) {
        Set<String> out = new TreeSet<>();
        object.fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** Every entry of every jar and directory on this JVM's class path, as resource names. */
    record ClassPath(Set<String> resources, Set<String> mainEntries) {

        static ClassPath ofThisJvm() {
            Set<Path> roots = new LinkedHashSet<>();
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                addRoot(roots, Path.of(entry));
            }
            try {
                Enumeration<URL> manifests = NativeRegistrationTest.class.getClassLoader()
                        .getResources("META-INF/MANIFEST.MF");
                while (manifests.hasMoreElements()) {
                    String url = manifests.nextElement().toString();
                    if (url.startsWith("jar:file:")) {
                        addRoot(roots, Path.of(new URL(url.substring(4, url.indexOf("!/"))).toURI()));
                    }
                }
            } catch (IOException | URISyntaxException e) {
                throw new IllegalStateException(e);
            }
            Set<String> resources = new TreeSet<>();
            Set<String> main = new TreeSet<>();
            for (Path root : roots) {
                List<String> entries = entries(root);
                resources.addAll(entries);
                if (root.endsWith(Path.of("target", "classes"))) {
                    main.addAll(entries);
                }
            }
            return new ClassPath(resources, main);
        }

        boolean hasPackage(String pkg) {
            String dir = pkg.replace('.', '/') + "/";
            return resources.stream().anyMatch(r -> r.startsWith(dir) && r.endsWith(".class"));
        }

        /** Binary names of the classes under {@code pkg}, only this project's main classes if asked. */
        List<String> classesUnder(String pkg, boolean mainOnly) {
            String dir = pkg.replace('.', '/') + "/";
            return (mainOnly ? mainEntries : resources).stream()
                    .filter(r -> r.startsWith(dir) && r.endsWith(".class") && !r.endsWith("module-info.class"))
                    .map(r -> r.substring(0, r.length() - ".class".length()).replace('/', '.')).toList();
        }

        private static void addRoot(Set<Path> roots, Path root) {
            Path p = root.toAbsolutePath().normalize();
            if (!Files.exists(p) || !roots.add(p) || !Files.isRegularFile(p)) {
                return;
            }
            // surefire's manifest-only jar names the real class path in its manifest
            try (JarFile jar = new JarFile(p.toFile())) {
                Manifest mf = jar.getManifest();
                String cp = mf == null ? null : mf.getMainAttributes().getValue("Class-Path");
                if (cp != null) {
                    for (String e : cp.split(" ")) {
                        if (!e.isBlank()) {
                            addRoot(roots, Path.of(new URL(new URL(p.toUri().toURL(), "."), e).toURI()));
                        }
                    }
                }
            } catch (IOException | URISyntaxException e) {
                throw new IllegalStateException("cannot read " + p, e);
            }
        }

        private static List<String> entries(Path root) {
            if (Files.isDirectory(root)) {
                try (Stream<Path> files = Files.walk(root)) {
                    return files.filter(Files::isRegularFile)
                            .map(f -> root.relativize(f).toString().replace(File.separatorChar, '/')).toList();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            try (JarFile jar = new JarFile(root.toFile())) {
                return jar.stream().filter(e -> !e.isDirectory()).map(e -> e.getName()).toList();
            } catch (IOException e) {
                throw new UncheckedIOException(root.toString(), e);
            }
        }
    }
}
