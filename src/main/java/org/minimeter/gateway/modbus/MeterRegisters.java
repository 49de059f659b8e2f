package org.minimeter.gateway.modbus;

/**
 * One meter's registers at one moment, encoded once and then only read: a read of any range
 * comes from the same snapshot, never from a half-updated one. Addresses are protocol (PDU)
 * addresses, 0-based: SunSpec's marker at 40000 is "register 40001" in 1-based numbering.
 */
public final class MeterRegisters {

    private final RegisterTable table;
    private final int first;
    private final short[] words;

    MeterRegisters(RegisterTable table, int first, short[] words) {
        this.table = table;
        this.first = first;
        this.words = words.clone();
    }

    public RegisterTable table() {
        return table;
    }

    /** The first address held. */
    public int first() {
        return first;
    }

    /** How many consecutive registers are held from {@link #first()}. */
    public int length() {
        return words.length;
    }

    /** True if every register of {@code [address, address + quantity)} is held. */
    public boolean covers(int address, int quantity) {
        return quantity >= 1 && address >= first && (long) address + quantity <= (long) first + words.length;
    }

    /** The register at {@code address}, 0-65535. */
    public int word(int address) {
        if (!covers(address, 1)) {
            throw new IndexOutOfBoundsException("register " + address + " is not in this map");
        }
        return words[address - first] & 0xFFFF;
    }

    /** {@code quantity} registers from {@code address}, big-endian as on the wire, into {@code out} at {@code offset}. */
    void copyBytes(int address, int quantity, byte[] out, int offset) {
        int from = address - first;
        for (int k = 0; k < quantity; k++) {
            short w = words[from + k];
            out[offset + 2 * k] = (byte) (w >> 8);
            out[offset + 2 * k + 1] = (byte) w;
        }
    }
}
