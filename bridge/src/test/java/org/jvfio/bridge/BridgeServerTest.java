package org.jvfio.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuIoasAlloc;
import org.jvfio.api.iommufd.IommuIoasMapFile;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.core.kernel.FakeKernel;

/**
 * The wire protocol of docs/bridge.md, spoken by a Java client that serves the callbacks from a map
 * of buffers: no C compiler needed. Each test is a transcript of one client's calls.
 */
class BridgeServerTest {
  @TempDir Path dir;
  private BridgeServer server;
  private Client client;

  /** A client process: its memory (buffers by address) and the fds it hands the server. */
  private static final class Client implements AutoCloseable {
    final SocketChannel channel;
    final TreeMap<Long, byte[]> memory = new TreeMap<>();
    final List<String> callbacks = new ArrayList<>();
    final Map<Long, long[]> files = new HashMap<>(); // fd -> the FILE_INFO answer
    int nextFd = 40;
    byte[] resultData; // the data of the last RESULT

    Client(Path socket, long pid, long ppid) throws IOException {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      channel.connect(UnixDomainSocketAddress.of(socket));
      call(Protocol.HELLO, pid, ppid, 0, null);
    }

    long call(int type, long a0, long a1, long a2, byte[] data) throws IOException {
      send(type, a0, a1, a2, data);
      while (true) {
        ByteBuffer h = receive(Protocol.HEADER);
        int t = h.getInt();
        int len = h.getInt();
        long addr = h.getLong();
        long n = h.getLong();
        long third = h.getLong();
        byte[] payload = receive(len).array();
        switch (t) {
          case Protocol.RESULT:
            resultData = payload;
            return addr;
          case Protocol.MEM_READ:
            callbacks.add("read " + n);
            byte[] got = bytes(addr, (int) n);
            send(Protocol.DATA, got == null ? -Errno.EFAULT.code() : 0, 0, 0, got);
            break;
          case Protocol.MEM_WRITE:
            callbacks.add("write " + len);
            Map.Entry<Long, byte[]> e = memory.floorEntry(addr);
            boolean ok = bytes(addr, len) != null;
            if (ok) {
              System.arraycopy(payload, 0, e.getValue(), (int) (addr - e.getKey()), len);
            }
            send(Protocol.STATUS, ok ? 0 : -Errno.EFAULT.code(), 0, 0, null);
            break;
          case Protocol.MEM_PROBE:
            callbacks.add("probe " + n);
            send(
                Protocol.STATUS,
                bytes(addr, (int) n) != null ? 0 : -Errno.EFAULT.code(),
                0,
                0,
                null);
            break;
          case Protocol.FD_ALLOC:
            callbacks.add("fd");
            send(Protocol.STATUS, nextFd++, 0, 0, null);
            break;
          case Protocol.FILE_INFO:
            callbacks.add("file " + addr + " " + n + " " + third);
            long[] info = files.get(addr);
            ByteBuffer answer = ByteBuffer.allocate(Protocol.FILE_INFO_SIZE);
            answer.order(ByteOrder.LITTLE_ENDIAN);
            if (info != null) {
              for (long v : info) {
                answer.putLong(v);
              }
            }
            send(
                Protocol.DATA,
                info == null ? -Errno.EBADF.code() : 0,
                0,
                0,
                info == null ? null : answer.array());
            break;
          default:
            throw new IOException("unexpected message " + t);
        }
      }
    }

    /** The bytes at [addr, addr + n) of one buffer, or null (EFAULT). */
    byte[] bytes(long addr, int n) {
      Map.Entry<Long, byte[]> e = memory.floorEntry(addr);
      if (e == null || addr - e.getKey() + n > e.getValue().length) {
        return null;
      }
      int off = (int) (addr - e.getKey());
      return Arrays.copyOfRange(e.getValue(), off, off + n);
    }

    private void send(int type, long a0, long a1, long a2, byte[] data) throws IOException {
      int len = data == null ? 0 : data.length;
      ByteBuffer b = ByteBuffer.allocate(Protocol.HEADER + len).order(ByteOrder.LITTLE_ENDIAN);
      b.putInt(type).putInt(len).putLong(a0).putLong(a1).putLong(a2).putLong(0);
      if (data != null) {
        b.put(data);
      }
      b.flip();
      while (b.hasRemaining()) {
        channel.write(b);
      }
    }

    private ByteBuffer receive(int n) throws IOException {
      ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
      while (b.hasRemaining()) {
        if (channel.read(b) < 0) {
          throw new IOException("closed");
        }
      }
      return b.flip();
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  @BeforeEach
  void setUp() throws IOException {
    server = BridgeServer.start(FakeKernel.builder().guestMemory(1L << 30), dir.resolve("s"));
    client = new Client(server.socket(), 100, 1);
  }

  @AfterEach
  void tearDown() throws IOException {
    client.close();
    server.close();
  }

  private long open(String path) throws IOException {
    return client.call(Protocol.OPEN, 0, 0, 0, path.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void hello_answersTheGuestMemories() throws IOException {
    ByteBuffer list = ByteBuffer.wrap(client.resultData).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(16, list.remaining());
    assertEquals(FakeKernel.GUEST_MEMORY_BASE, list.getLong());
    assertEquals(1L << 30, list.getLong());
  }

  @Test
  void open_numbersTheFileWithTheClientsOwnFd() throws IOException {
    assertEquals(40, open(FakeKernel.IOMMU_PATH));
    assertEquals(List.of("fd"), client.callbacks);
    assertEquals(-Errno.ENOENT.code(), open("/dev/vfio/devices/vfio9"));
    assertEquals(0, client.call(Protocol.CLOSE, 40, 0, 0, null));
    assertEquals(-Errno.EBADF.code(), client.call(Protocol.CLOSE, 40, 0, 0, null));
  }

  @Test
  void ioctl_copiesTheStructInAndTheReplyOut() throws IOException {
    long fd = open(FakeKernel.IOMMU_PATH);
    byte[] arg = new byte[IommuIoasAlloc.SIZE];
    ByteBuffer.wrap(arg).order(ByteOrder.LITTLE_ENDIAN).putInt(IommuIoasAlloc.SIZE);
    client.memory.put(0x1000L, arg);
    client.callbacks.clear();
    assertEquals(0, client.call(Protocol.IOCTL, fd, Iommufd.IOMMU_IOAS_ALLOC, 0x1000, null));
    assertEquals(List.of("read 4", "read 12", "write 12"), client.callbacks);
    assertEquals(1, ByteBuffer.wrap(arg).order(ByteOrder.LITTLE_ENDIAN).getInt(8));
  }

  @Test
  void ioctl_prefetchedStruct_isReadWithoutAsking() throws IOException {
    long fd = open(FakeKernel.IOMMU_PATH);
    byte[] arg = new byte[IommuIoasAlloc.SIZE];
    ByteBuffer.wrap(arg).order(ByteOrder.LITTLE_ENDIAN).putInt(IommuIoasAlloc.SIZE);
    client.memory.put(0x1000L, arg);
    client.callbacks.clear();
    assertEquals(0, client.call(Protocol.IOCTL, fd, Iommufd.IOMMU_IOAS_ALLOC, 0x1000, arg.clone()));
    assertEquals(List.of("write 12"), client.callbacks);
    assertEquals(1, ByteBuffer.wrap(arg).order(ByteOrder.LITTLE_ENDIAN).getInt(8));
    client.callbacks.clear(); // only the size came along: the rest is asked for
    assertEquals(
        0,
        client.call(Protocol.IOCTL, fd, Iommufd.IOMMU_IOAS_ALLOC, 0x1000, Arrays.copyOf(arg, 4)));
    assertEquals(List.of("read 12", "write 12"), client.callbacks);
    assertEquals(-Errno.EBADF.code(), client.call(Protocol.IOCTL, 77, 0, 0x1000, arg.clone()));
  }

  @Test
  void ioctl_badPointer_efaultFromTheClient() throws IOException {
    long fd = open(FakeKernel.IOMMU_PATH);
    assertEquals(
        -Errno.EFAULT.code(), client.call(Protocol.IOCTL, fd, Iommufd.IOMMU_IOAS_ALLOC, 8, null));
    client.memory.put(0x1000L, new byte[8]); // size fits, the rest of the struct does not
    ByteBuffer.wrap(client.memory.get(0x1000L)).order(ByteOrder.LITTLE_ENDIAN).putInt(12);
    assertEquals(
        -Errno.EFAULT.code(),
        client.call(Protocol.IOCTL, fd, Iommufd.IOMMU_IOAS_ALLOC, 0x1000, null));
  }

  @Test
  void ioasMapFile_asksTheClientForItsFile() throws IOException {
    long fd = open(FakeKernel.IOMMU_PATH);
    long ioas = ioasAlloc(fd);
    client.files.put(7L, new long[] {1, 1L << 20, 0, 0x20, 99}); // a memfd it has not mapped
    byte[] arg = new byte[IommuIoasMapFile.SIZE];
    for (int file : new int[] {8, 7}) {
      new IommuIoasMapFile(
              IommuIoasMapFile.SIZE,
              Iommufd.IOMMU_IOAS_MAP_READABLE | Iommufd.IOMMU_IOAS_MAP_FIXED_IOVA,
              (int) ioas,
              file,
              0x3000,
              0x2000,
              1L << 24)
          .encode(ByteBuffer.wrap(arg));
      client.memory.put(0x1000L, arg);
      client.callbacks.clear();
      long rc = client.call(Protocol.IOCTL, fd, Iommufd.IOMMU_IOAS_MAP_FILE, 0x1000, null);
      assertEquals(file == 8 ? -Errno.EBADF.code() : 0, rc);
      assertTrue(
          client.callbacks.contains("file " + file + " 12288 8192"), client.callbacks::toString);
    }
  }

  @Test
  void readAndPread_ofTheIommufd_einval() throws IOException {
    long fd = open(FakeKernel.IOMMU_PATH);
    assertEquals(-Errno.EINVAL.code(), client.call(Protocol.READ, fd, 0x1000, 8, null));
    assertEquals(-Errno.EINVAL.code(), client.call(Protocol.PREAD, fd, 0x1000, 8, null));
    assertEquals(-Errno.EBADF.code(), client.call(Protocol.WRITE, 99, 0x1000, 8, null));
  }

  /** Whether the kernel has a file at {@code fd} (reading the iommufd is EINVAL, not EBADF). */
  private boolean kernelHas(long fd) {
    return server.kernel().read((int) fd, 0, 0) != -Errno.EBADF.code();
  }

  @Test
  void threadsOfOneProcess_shareItsFds_otherProcesses_ebadf() throws IOException {
    long fd = open(FakeKernel.IOMMU_PATH);
    try (Client thread = new Client(server.socket(), 100, 1);
        Client stranger = new Client(server.socket(), 200, 1)) {
      assertEquals(-Errno.EBADF.code(), stranger.call(Protocol.READ, fd, 0, 0, null));
      assertEquals(-Errno.EBADF.code(), stranger.call(Protocol.CLOSE, fd, 0, 0, null));
      assertEquals(0, thread.call(Protocol.CLOSE, fd, 0, 0, null));
    }
    assertEquals(-Errno.EBADF.code(), client.call(Protocol.CLOSE, fd, 0, 0, null));
    assertFalse(kernelHas(fd));
  }

  @Test
  void forkedChild_holdsTheParentsFiles_untilBothCloseThem() throws IOException {
    long fd = open(FakeKernel.IOMMU_PATH);
    try (Client child = new Client(server.socket(), 101, 100)) {
      assertEquals(0, child.call(Protocol.CLOSE, fd, 0, 0, null));
      assertTrue(kernelHas(fd)); // the parent still holds it
      assertEquals(-Errno.EINVAL.code(), client.call(Protocol.READ, fd, 0, 0, null));
      assertEquals(0, client.call(Protocol.CLOSE, fd, 0, 0, null));
      assertFalse(kernelHas(fd));
    }
  }

  /** IOMMU_IOAS_ALLOC on {@code fd}: the new IOAS id (ids count up in one iommufd). */
  private long ioasAlloc(long fd) throws IOException {
    byte[] arg = new byte[IommuIoasAlloc.SIZE];
    ByteBuffer.wrap(arg).order(ByteOrder.LITTLE_ENDIAN).putInt(IommuIoasAlloc.SIZE);
    client.memory.put(0x1000L, arg);
    assertEquals(0, client.call(Protocol.IOCTL, fd, Iommufd.IOMMU_IOAS_ALLOC, 0x1000, null));
    return ByteBuffer.wrap(arg).order(ByteOrder.LITTLE_ENDIAN).getInt(8);
  }

  @Test
  void dup_theNewNumberRefersToTheSameFile_untilBothAreClosed() throws IOException {
    long fd = open(FakeKernel.IOMMU_PATH);
    assertEquals(50, client.call(Protocol.DUP, fd, 50, 0, null));
    assertEquals(1, ioasAlloc(fd));
    assertEquals(2, ioasAlloc(50));
    assertEquals(0, client.call(Protocol.CLOSE, fd, 0, 0, null));
    assertEquals(3, ioasAlloc(50));
    assertEquals(0, client.call(Protocol.CLOSE, 50, 0, 0, null));
    assertFalse(kernelHas(50));
  }

  @Test
  void dup_ontoAHeldNumber_replacesItsFile() throws IOException {
    long a = open(FakeKernel.IOMMU_PATH);
    long b = open(FakeKernel.IOMMU_PATH);
    assertEquals(1, ioasAlloc(a));
    assertEquals(1, ioasAlloc(b));
    assertEquals(b, client.call(Protocol.DUP, a, b, 0, null));
    assertEquals(2, ioasAlloc(b), "b is a's iommufd now");
    assertEquals(3, ioasAlloc(a));
  }

  @Test
  void dup_ofAnFdNotHeld_ebadf_ontoAnotherProcesssNumber_ebusy() throws IOException {
    long fd = open(FakeKernel.IOMMU_PATH);
    try (Client child = new Client(server.socket(), 101, 100)) {
      long own = child.call(Protocol.OPEN, 0, 0, 0, "/dev/iommu".getBytes(StandardCharsets.UTF_8));
      assertEquals(-Errno.EBADF.code(), client.call(Protocol.DUP, own, 60, 0, null));
      assertEquals(-Errno.EBUSY.code(), client.call(Protocol.DUP, fd, own, 0, null));
      assertEquals(-Errno.EBUSY.code(), child.call(Protocol.DUP, own, fd, 0, null), "shared");
      assertEquals(1, ioasAlloc(fd), "a refused dup changes nothing");
      assertFalse(kernelHas(60));
    }
  }

  @Test
  void processExit_closesTheFilesOnlyItHeld() throws IOException {
    long shared = open(FakeKernel.IOMMU_PATH);
    Client child = new Client(server.socket(), 101, 100);
    long own = child.call(Protocol.OPEN, 0, 0, 0, "/dev/iommu".getBytes(StandardCharsets.UTF_8));
    assertEquals(41, own); // its own table handed out 40 too, which the parent holds
    child.close(); // the child exits
    long deadline = System.nanoTime() + 10_000_000_000L; // the server notices the end of the stream
    while (kernelHas(own) && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertFalse(kernelHas(own));
    assertTrue(kernelHas(shared));
  }
}
