package org.minimeter.gateway.hal.pi4j;

import com.pi4j.context.Context;
import com.pi4j.plugin.mock.platform.MockPlatform;
import com.pi4j.provider.Provider;
import java.util.function.Supplier;

/**
 * One Pi4J provider an adapter here can run on, and the context that holds only it.
 *
 * @param label its name in the configuration and in every message, e.g. {@code gpiod}
 * @param providerId Pi4J's id for it, named in each I/O configuration
 * @param requirement what it needs from the machine, appended to its errors; empty for none
 * @param mock Pi4J's mock providers only run on Pi4J's mock platform, which then joins the context
 * @param provider a new instance of the provider, for the context
 */
record Pi4jBackend(String label, String providerId, String requirement, boolean mock,
        Supplier<? extends Provider<?, ?, ?>> provider) {

    /** Pi4J's in-memory mock: real Pi4J code that keeps each line's state in memory, driving nothing. */
    static Pi4jBackend mock(String providerId, Supplier<? extends Provider<?, ?, ?>> provider) {
        return new Pi4jBackend("mock", providerId, "", true, provider);
    }

    /**
     * A context holding this provider only ({@link Pi4jContexts#build}).
     *
     * @param what the kind of provider, for the error: e.g. {@code SPI provider}
     */
    Context buildContext(String what) {
        return Pi4jContexts.build(name(what), requirement, b -> {
            if (mock) {
                b.add(new MockPlatform());
            }
            b.add(provider.get());
        });
    }

    /** {@code Pi4J <label> <what>}, e.g. {@code Pi4J linuxfs SPI provider}. */
    String name(String what) {
        return "Pi4J " + label + " " + what;
    }
}
