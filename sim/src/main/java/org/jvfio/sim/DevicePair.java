package org.jvfio.sim;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.HisiAccDriver;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.ReferenceMigrationDriver;
import org.jvfio.core.vfio.VfioDevice;

/*
 * One simulated device on both hosts: the source and destination VfioDevices of a DeviceModel, how
 * the running source changes its internal state, and whether the destination's state equals the
 * source's (the verification). The hisi pair's destination is a matching VF under a PF that gives
 * it the same queues; its source guest has loaded its VF driver (the queues are programmed).
 */
abstract class DevicePair {
  private static final Set<MigrationFlag> FLAGS =
      EnumSet.of(MigrationFlag.STOP_COPY, MigrationFlag.P2P, MigrationFlag.PRE_COPY);

  final VfioDevice src;
  final VfioDevice dst;

  private DevicePair(VfioDevice src, VfioDevice dst) {
    this.src = src;
    this.dst = dst;
  }

  /**
   * The running source changes its state: the reference device takes {@code bytes} at {@code
   * offset}; the hisi device reprograms its queues from a seed made of the first bytes.
   */
  abstract void changeState(int offset, byte[] bytes);

  /** Whether the destination's device state equals the source's. */
  abstract boolean sameState();

  static DevicePair create(Scenario s, byte[] state, Optional<DmaTracker> tracker, long seed) {
    if (s.deviceModel() == DeviceModel.HISI_ACC) {
      return hisi(seed);
    }
    ReferenceMigrationDriver srcDriver =
        ReferenceMigrationDriver.create(
            FLAGS, state, ReferenceMigrationDriver.DEFAULT_CHUNK_SIZE, tracker);
    ReferenceMigrationDriver dstDriver = ReferenceMigrationDriver.create(FLAGS, new byte[0]);
    return new DevicePair(VfioDevice.create(srcDriver), VfioDevice.create(dstDriver)) {
      @Override
      void changeState(int offset, byte[] bytes) {
        srcDriver.writeState(offset, bytes);
      }

      @Override
      boolean sameState() {
        return Arrays.equals(srcDriver.deviceState(), dstDriver.deviceState());
      }
    };
  }

  private static DevicePair hisi(long seed) {
    HisiAccDriver.PfConfig pf = new HisiAccDriver.PfConfig(64, 0, 1);
    HisiAccDriver srcDriver =
        HisiAccDriver.create(
            HisiAccDriver.HISI_SEC_VF_DEV_ID, pf, HisiAccDriver.Revision.MATCH_DONE_RESET_ON_OPEN);
    HisiAccDriver dstDriver =
        HisiAccDriver.create(
            HisiAccDriver.HISI_SEC_VF_DEV_ID, pf, HisiAccDriver.Revision.MATCH_DONE_RESET_ON_OPEN);
    srcDriver.programQueues(seed);
    return new DevicePair(VfioDevice.create(srcDriver), VfioDevice.create(dstDriver)) {
      @Override
      void changeState(int offset, byte[] bytes) {
        long seed = offset;
        for (int i = 0; i < Math.min(8, bytes.length); i++) {
          seed = seed << 8 | (bytes[i] & 0xff);
        }
        srcDriver.programQueues(seed);
      }

      @Override
      boolean sameState() {
        return Arrays.equals(srcDriver.registerState(), dstDriver.registerState());
      }
    };
  }
}
