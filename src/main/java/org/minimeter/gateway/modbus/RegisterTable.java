package org.minimeter.gateway.modbus;

/** The two 16-bit register tables of Modbus, with the read function code of each. */
public enum RegisterTable {
    /** Read with function 03; SunSpec lives here. */
    HOLDING(0x03),
    /** Read with function 04; Eastron meters keep their measurements here. */
    INPUT(0x04);

    private final int readFunction;

    RegisterTable(int readFunction) {
        this.readFunction = readFunction;
    }

    public int readFunction() {
        return readFunction;
    }
}
