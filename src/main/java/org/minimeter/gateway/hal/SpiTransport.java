package org.minimeter.gateway.hal;

/**
 * One SPI device (a chip select on a bus) as chip drivers see it: full-duplex transfers of
 * bytes, nothing else. Mode, clock and chip select are fixed when it is opened; the driver
 * owns the protocol. Implementations: {@code hal.pi4j} (Linux spidev through Pi4J's linuxfs
 * provider) and, in tests, scripted byte transcripts.
 */
public interface SpiTransport extends AutoCloseable {

    /** What it is, for logs and errors: e.g. {@code /dev/spidev0.0 mode 1 at 8 MHz}. */
    String description();

    /**
     * Clocks {@code tx} out while clocking as many bytes in, with chip select held for the
     * whole transfer.
     *
     * @return the bytes read, the same length as {@code tx}
     * @throws SpiException when the transfer failed at the bus (I/O error, device gone)
     */
    byte[] transfer(byte[] tx);

    @Override
    void close();

    /** A transfer that failed at the bus: counted and alarmed by the driver's meter. */
    final class SpiException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public SpiException(String message, Throwable cause) {
            super(message, cause);
        }

        public SpiException(String message) {
            super(message);
        }
    }
}
