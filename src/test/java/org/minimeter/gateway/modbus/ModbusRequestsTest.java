package org.minimeter.gateway.modbus;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Which answer each request gets, byte for byte, in the order of the Modbus protocol's checks. */
class ModbusRequestsTest {

    static final MeterRegisters SUNSPEC = RegisterMap.SUNSPEC.encode(ModbusSunSpecMapTest.SPLIT,
            ModbusSunSpecMapTest.splitValues());
    static final UnitState READY = new UnitState.Ready(SUNSPEC);

    static byte[] read(int function, int address, int quantity) {
        return new byte[] {(byte) function, (byte) (address >> 8), (byte) address, (byte) (quantity >> 8),
                (byte) quantity};
    }

    static byte[] exception(int function, int code) {
        return new byte[] {(byte) (function | 0x80), (byte) code};
    }

    @Test
    void aRead_returnsTheRegistersBigEndian() {
        byte[] answer = ModbusRequests.answer(read(3, 40000, 4), RegisterTable.HOLDING, READY);
        assertThat(answer).containsExactly(0x03, 8, 'S', 'u', 'n', 'S', 0x00, 0x01, 0x00, 66);
    }

    @Test
    void aReadOf125Registers_upToTheEndModel_isAnswered() {
        byte[] answer = ModbusRequests.answer(read(3, 40179 - 125, 125), RegisterTable.HOLDING, READY);
        assertThat(answer).hasSize(2 + 250);
        assertThat(answer[1] & 0xFF).isEqualTo(250);
        assertThat(answer[248] & 0xFF).isEqualTo(0xFF); // end model ID 0xFFFF
        assertThat(answer[249] & 0xFF).isEqualTo(0xFF);
    }

    @ParameterizedTest(name = "function 0x{0}")
    @ValueSource(strings = {"01", "02", "04", "05", "06", "0F", "10", "16", "17", "08", "2B", "11", "7F"})
    void everyFunctionButTheMapsRead_isIllegalFunction(String hex) {
        int function = Integer.parseInt(hex, 16);
        byte[] request = {(byte) function, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x07};
        assertThat(ModbusRequests.answer(request, RegisterTable.HOLDING, READY))
                .containsExactly(exception(function, 0x01));
    }

    @Test
    void writes_areIllegalFunction_evenToARegisterThatExists() {
        byte[] writeSingle = {0x06, (byte) 0x9C, 0x40, 0x12, 0x34};
        byte[] writeMultiple = {0x10, (byte) 0x9C, 0x58, 0x00, 0x01, 0x02, 0x00, 0x00};
        assertThat(ModbusRequests.answer(writeSingle, RegisterTable.HOLDING, READY)).containsExactly(0x86, 0x01);
        assertThat(ModbusRequests.answer(writeMultiple, RegisterTable.HOLDING, READY)).containsExactly(0x90, 0x01);
    }

    @Test
    void theSdmMapIsReadWithFunction04_andHoldingReadsAreIllegalFunction() {
        UnitState sdm = new UnitState.Ready(RegisterMap.SDM.encode(ModbusSdmMapTest.SPLIT, ModbusSdmMapTest.values()));
        assertThat(ModbusRequests.answer(read(4, 0, 2), RegisterTable.INPUT, sdm))
                .containsExactly(0x04, 4, 0x42, 0xF0, 0x00, 0x00);
        assertThat(ModbusRequests.answer(read(3, 0, 2), RegisterTable.INPUT, sdm)).containsExactly(0x83, 0x01);
    }

    @ParameterizedTest(name = "quantity {0}")
    @ValueSource(ints = {0, 126, 200, 0xFFFF})
    void aQuantityOutside1To125_isIllegalDataValue(int quantity) {
        assertThat(ModbusRequests.answer(read(3, 40000, quantity), RegisterTable.HOLDING, READY))
                .containsExactly(exception(3, 0x03));
    }

    @Test
    void aReadPduOfTheWrongLength_isIllegalDataValue() {
        assertThat(ModbusRequests.answer(new byte[] {0x03}, RegisterTable.HOLDING, READY)).containsExactly(0x83, 0x03);
        assertThat(ModbusRequests.answer(new byte[] {0x03, (byte) 0x9C, 0x40}, RegisterTable.HOLDING, READY))
                .containsExactly(0x83, 0x03);
        assertThat(ModbusRequests.answer(new byte[] {0x03, (byte) 0x9C, 0x40, 0x00, 0x01, 0x00},
                RegisterTable.HOLDING, READY)).containsExactly(0x83, 0x03);
    }

    @ParameterizedTest(name = "{0} x {1}")
    @CsvSource({"0, 1", "39999, 1", "39999, 2", "40178, 2", "40179, 1", "40100, 125", "65535, 1"})
    void anyRegisterOutsideTheMap_isIllegalDataAddress(int address, int quantity) {
        assertThat(ModbusRequests.answer(read(3, address, quantity), RegisterTable.HOLDING, READY))
                .containsExactly(exception(3, 0x02));
    }

    @Test
    void anUnknownUnit_isGatewayPathUnavailable_whateverItAsks() {
        assertThat(ModbusRequests.answer(read(3, 40000, 2), RegisterTable.HOLDING, UnitState.UNKNOWN))
                .containsExactly(0x83, 0x0A);
        assertThat(ModbusRequests.answer(new byte[] {0x06, 0, 0, 0, 0}, RegisterTable.HOLDING, UnitState.UNKNOWN))
                .containsExactly(0x86, 0x0A);
    }

    @Test
    void aMeterWithoutCurrentValues_isGatewayTargetFailedToRespond() {
        UnitState down = new UnitState.Unavailable("no measurement yet");
        assertThat(ModbusRequests.answer(read(3, 40000, 2), RegisterTable.HOLDING, down)).containsExactly(0x83, 0x0B);
        // a write is still refused as a write
        assertThat(ModbusRequests.answer(new byte[] {0x06, 0, 0, 0, 0}, RegisterTable.HOLDING, down))
                .containsExactly(0x86, 0x01);
    }
}
