package org.minimeter.gateway.hal.pi4j;

import com.pi4j.io.spi.Spi;
import org.minimeter.gateway.hal.SpiTransport;

/**
 * One Pi4J SPI device as a byte transport: each {@link #transfer} is one full-duplex transfer
 * with chip select held for all of it (one {@code SPI_IOC_MESSAGE} ioctl on linuxfs), which is
 * what a converter's frame needs: the MCP3208's 3-byte conversion, the ADS131M04's whole frame.
 */
final class Pi4jSpiTransport implements SpiTransport {

    private final Spi spi;
    private final String description;
    private final Runnable release;
    private boolean closed;

    /**
     * @param release called once on close, after Pi4J has closed the device: removes it from the
     *     context so that the same bus and chip select may be opened again
     */
    Pi4jSpiTransport(Spi spi, String description, Runnable release) {
        this.spi = spi;
        this.description = description;
        this.release = release;
    }

    /** Pi4J's device, for tests that drive the mock provider's side of the bus. */
    Spi pi4jSpi() {
        return spi;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public synchronized byte[] transfer(byte[] tx) {
        if (closed) {
            throw new IllegalStateException(description + " is closed");
        }
        byte[] rx = new byte[tx.length];
        if (tx.length == 0) {
            return rx;
        }
        int result;
        try {
            result = spi.transfer(tx, 0, rx, 0, tx.length);
        } catch (RuntimeException e) {
            throw new SpiException(description + ": transfer of " + tx.length + " bytes failed: "
                    + Pi4jContexts.causes(e), e);
        }
        // Pi4J 2.8's linuxfs provider does not throw when the ioctl fails: it logs the errno and
        // returns -1. Its mock returns 0 on success, so only a negative result is a failure.
        if (result < 0) {
            throw new SpiException(description + ": transfer of " + tx.length + " bytes failed (Pi4J returned "
                    + result + "; the kernel's errno is in Pi4J's log)");
        }
        return rx;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            spi.close();
        } catch (RuntimeException e) {
            throw new IllegalStateException(description + " could not be closed: " + Pi4jContexts.causes(e), e);
        } finally {
            release.run();
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
