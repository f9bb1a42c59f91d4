package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_GET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuIoasAlloc;
import org.jvfio.api.vfio.VfioDeviceFeature;
import org.jvfio.api.vfio.VfioDeviceFeatureMigState;
import org.jvfio.core.UapiException;

class UserStructsTest {
  private final UserMemory mem = new UserMemory();
  private final UserStructs structs = UserStructs.of(mem);

  @Test
  void put_writesTheStructLittleEndianAtAnAlignedAddress() {
    long addr = structs.put(IommuIoasAlloc.SIZE, new IommuIoasAlloc(12, 0, 0x0102_0304)::encode);
    assertEquals(0, addr & 7);
    ByteBuffer raw = mem.read(addr, IommuIoasAlloc.SIZE);
    assertArrayEquals(new byte[] {12, 0, 0, 0, 0, 0, 0, 0, 4, 3, 2, 1}, raw.array());
    assertEquals(
        new IommuIoasAlloc(12, 0, 0x0102_0304),
        structs.get(addr, IommuIoasAlloc.SIZE, IommuIoasAlloc::decode));
  }

  @Test
  void encode_largerThanTheStruct_zeroPadsToTheSize() {
    ByteBuffer buf = UserStructs.encode(16, new IommuIoasAlloc(12, 0, 7)::encode);
    assertEquals(0, buf.position());
    assertEquals(16, buf.remaining());
    assertEquals(ByteOrder.LITTLE_ENDIAN, buf.order());
    assertEquals(0, buf.getInt(12));
  }

  @Test
  void write_overwritesInPlace() {
    long addr = structs.put(IommuIoasAlloc.SIZE, new IommuIoasAlloc(12, 0, 0)::encode);
    structs.write(addr, IommuIoasAlloc.SIZE, new IommuIoasAlloc(12, 0, 9)::encode);
    assertEquals(9, structs.get(addr, IommuIoasAlloc.SIZE, IommuIoasAlloc::decode).outIoasId());
  }

  @Test
  void putFeature_headerWithArgszThenPayload() {
    int flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
    long arg =
        structs.putFeature(
            flags, VfioDeviceFeatureMigState.SIZE, new VfioDeviceFeatureMigState(3, -1)::encode);
    assertEquals(
        new VfioDeviceFeature(VfioDeviceFeature.SIZE + VfioDeviceFeatureMigState.SIZE, flags),
        structs.get(arg, VfioDeviceFeature.SIZE, VfioDeviceFeature::decode));
    assertEquals(3, mem.read(arg + 8, 4).getInt()); // data[] right after argsz and flags
    assertEquals(
        new VfioDeviceFeatureMigState(3, -1),
        structs.getFeaturePayload(
            arg, VfioDeviceFeatureMigState.SIZE, VfioDeviceFeatureMigState::decode));
  }

  @Test
  void putFeature_noPayload_isTheHeaderAlone() {
    long arg = structs.putFeature(VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, 0, buf -> {});
    assertEquals(8, structs.get(arg, 8, VfioDeviceFeature::decode).argsz());
    assertEquals(
        Errno.EFAULT,
        assertThrows(UapiException.class, () -> mem.read(arg + 8, 1)).errno(),
        "nothing allocated past the header");
  }

  @Test
  void putFeature_negativePayloadSize_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> structs.putFeature(0, -1, buf -> {}));
  }

  @Test
  void get_freedStruct_faults() {
    long addr = structs.put(IommuIoasAlloc.SIZE, new IommuIoasAlloc(12, 0, 0)::encode);
    mem.free(addr);
    assertEquals(
        Errno.EFAULT,
        assertThrows(
                UapiException.class,
                () -> structs.get(addr, IommuIoasAlloc.SIZE, IommuIoasAlloc::decode))
            .errno());
  }
}
