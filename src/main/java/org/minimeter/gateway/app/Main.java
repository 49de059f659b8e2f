package org.minimeter.gateway.app;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import jakarta.inject.Inject;

/**
 * The gateway's entry point. Without arguments it runs the gateway until stopped; with a
 * command ({@code calibrate}, {@code capture}, {@code help}) it runs that against the
 * configured meters instead, with the same configuration and checks, and exits.
 */
@QuarkusMain
public class Main implements QuarkusApplication {

    private static volatile boolean commandMode;

    @Inject
    Commands commands;

    public static void main(String... args) {
        commandMode = args.length > 0;
        if (commandMode) {
            // a command runs beside a gateway that may hold the HTTP port
            System.setProperty("quarkus.http.host-enabled", "false");
        }
        Quarkus.run(Main.class, args);
    }

    /** True when this process runs a command instead of the gateway. */
    static boolean commandMode() {
        return commandMode;
    }

    @Override
    public int run(String... args) {
        if (args.length == 0) {
            Quarkus.waitForExit();
            return 0;
        }
        return commands.run(args);
    }
}
