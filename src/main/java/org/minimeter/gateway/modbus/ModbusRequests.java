package org.minimeter.gateway.modbus;

/**
 * The answer to one request PDU, in the order of the Modbus application protocol's checks
 * (V1.1b3, 6.3 and 6.4): unit, function code, the request's length and quantity, the address
 * range, then the read. Pure: the transport only moves the bytes.
 *
 * <ul>
 *   <li>0x0A gateway path unavailable: no meter has the unit id;
 *   <li>0x01 illegal function: anything but the map's one read function (03 for SunSpec, 04
 *       for SDM), so every write (05, 06, 0F, 10, 16, 17) and every other function;
 *   <li>0x03 illegal data value: a read whose PDU is not exactly function + address + quantity,
 *       or a quantity outside 1-125;
 *   <li>0x0B gateway target device failed to respond: the meter has no current values;
 *   <li>0x02 illegal data address: any register of the range outside the map.
 * </ul>
 */
public final class ModbusRequests {

    public static final int ILLEGAL_FUNCTION = 0x01;
    public static final int ILLEGAL_DATA_ADDRESS = 0x02;
    public static final int ILLEGAL_DATA_VALUE = 0x03;
    public static final int SERVER_DEVICE_FAILURE = 0x04;
    public static final int GATEWAY_PATH_UNAVAILABLE = 0x0A;
    public static final int GATEWAY_TARGET_FAILED = 0x0B;
    /** The most registers one read may ask for (a response PDU holds at most 253 bytes). */
    public static final int MAX_READ = 125;

    private ModbusRequests() {
    }

    /**
     * @param pdu the request PDU (function code first), at least one byte
     * @param table the register table the gateway's map is read from
     * @return the response PDU: the registers, or function | 0x80 and an exception code
     */
    public static byte[] answer(byte[] pdu, RegisterTable table, UnitState unit) {
        int function = pdu[0] & 0xFF;
        if (unit instanceof UnitState.Unknown) {
            return exception(function, GATEWAY_PATH_UNAVAILABLE);
        }
        if (function != table.readFunction()) {
            return exception(function, ILLEGAL_FUNCTION);
        }
        if (pdu.length != 5) {
            return exception(function, ILLEGAL_DATA_VALUE);
        }
        int address = (pdu[1] & 0xFF) << 8 | pdu[2] & 0xFF;
        int quantity = (pdu[3] & 0xFF) << 8 | pdu[4] & 0xFF;
        if (quantity < 1 || quantity > MAX_READ) {
            return exception(function, ILLEGAL_DATA_VALUE);
        }
        if (!(unit instanceof UnitState.Ready ready)) {
            return exception(function, GATEWAY_TARGET_FAILED);
        }
        MeterRegisters registers = ready.registers();
        if (registers.table() != table || !registers.covers(address, quantity)) {
            return exception(function, ILLEGAL_DATA_ADDRESS);
        }
        byte[] out = new byte[2 + 2 * quantity];
        out[0] = (byte) function;
        out[1] = (byte) (2 * quantity);
        registers.copyBytes(address, quantity, out, 2);
        return out;
    }

    /** An exception response: the function code with its high bit set, then the code. */
    public static byte[] exception(int function, int code) {
        return new byte[] {(byte) (function | 0x80), (byte) code};
    }
}
