package org.jvfio.bridge;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.jvfio.core.kernel.FakeKernel;

/**
 * The bridge's server: a {@link FakeKernel} answering, over a UNIX domain socket, the system calls
 * that {@code libjvfio-preload.so} intercepts in a C or Rust program ({@code open}, {@code close},
 * {@code ioctl}, {@code read}, {@code write}, {@code pread}, {@code pwrite} and the {@code dup}
 * family on {@code /dev/iommu}, {@code /dev/vfio/*} and the fds they produce, through the libc
 * wrappers or {@code syscall(2)}). The protocol is described in {@code docs/bridge.md}.
 *
 * <p>The kernel reaches the client's memory the way {@code copy_from_user}/{@code copy_to_user} do,
 * through callbacks that the library serves with {@code process_vm_readv}/{@code process_vm_writev}
 * (a bad pointer is {@code EFAULT}, not a crash), and numbers new files with fds of the client's
 * own table (the library reserves them), so an fd number never collides with the program's real fds
 * and the fds that structs carry ({@code VFIO_DEVICE_BIND_IOMMUFD}'s {@code iommufd}, a migration
 * {@code data_fd}) mean what the program thinks.
 *
 * <p>Each connection is one client thread and is served by its own server thread; a multi-threaded
 * program opens one connection per thread, a forked child its own. All connections share one kernel
 * and one fd table: the server models one process (and the open files a fork shares). Thread-safe.
 */
public final class BridgeServer implements Closeable {
  private final FakeKernel kernel;
  private final ProcessTable processes;
  private final ServerSocketChannel listener;
  private final Path socket;
  private final Thread acceptor;

  private BridgeServer(FakeKernel kernel, ServerSocketChannel listener, Path socket) {
    this.kernel = kernel;
    this.processes = new ProcessTable(kernel);
    this.listener = listener;
    this.socket = socket;
    this.acceptor = new Thread(this::accept, "jvfio-bridge-accept");
    acceptor.setDaemon(true);
  }

  /**
   * Builds the kernel from {@code builder} over the remote client's memory and fd table, and
   * listens on {@code socket} (an existing file there is replaced). The socket file appears once
   * the server accepts connections.
   *
   * @param builder the kernel builder; its user address space, user files and unused-fd source are
   *     replaced by the remote client's
   * @param socket the path of the Unix domain socket to listen on
   * @return the started server, already accepting connections
   * @throws IOException if the socket cannot be bound
   */
  public static BridgeServer start(FakeKernel.Builder builder, Path socket) throws IOException {
    RemoteProcess client = new RemoteProcess();
    FakeKernel kernel =
        builder.userAddressSpace(client).userFiles(client).unusedFd(client::unusedFd).build();
    // Bind and listen under a temporary name, then rename: the socket appears only once it
    // accepts connections, so a client that waits for the file never meets a refusal.
    Path binding = socket.resolveSibling(socket.getFileName() + ".binding");
    Files.deleteIfExists(binding);
    ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    listener.bind(UnixDomainSocketAddress.of(binding));
    Files.move(
        binding, socket, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    BridgeServer server = new BridgeServer(kernel, listener, socket);
    server.acceptor.start();
    return server;
  }

  /**
   * Returns the kernel, for its hardware hooks ({@link FakeKernel#dmaWrite}) and inspection.
   *
   * @return the kernel built in {@link #start}
   */
  public FakeKernel kernel() {
    return kernel;
  }

  /**
   * Returns the path of the socket.
   *
   * @return the Unix domain socket path passed to {@link #start}
   */
  public Path socket() {
    return socket;
  }

  private void accept() {
    int n = 0;
    while (listener.isOpen()) {
      try {
        SocketChannel channel = listener.accept();
        Thread t = new Thread(new Connection(channel, kernel, processes), "jvfio-bridge-" + n++);
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  /** Stops listening and removes the socket file; connections end when their clients do. */
  @Override
  public void close() throws IOException {
    listener.close();
    Files.deleteIfExists(socket);
  }
}
