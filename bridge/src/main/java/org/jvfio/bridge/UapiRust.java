package org.jvfio.bridge;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.api.iommufd.IommufdTest;
import org.jvfio.api.vfio.Vfio;

/**
 * The generator of {@code uapi.rs}, the Rust module of the uAPI that the bridge's Rust client
 * ({@code bridge/src/test/rust}) uses, from the same api records and constants as {@link
 * UapiHeader}'s C header, so that the Java, C and Rust layouts come from one source.
 *
 * <p>Each struct record becomes a {@code #[repr(C)]} struct with the C name ({@code struct
 * iommu_hwpt_get_dirty_bitmap}, as {@code bindgen} names it), with fields of the widths measured
 * from the record's {@code encode} as {@link UapiHeader} measures them, a flexible array member as
 * {@code [u8; 0]}, and compile-time assertions ({@code const _: () = assert!(...)}) of its {@code
 * size_of} and of every {@code offset_of!}: {@code rustc} rejects a module whose natural layout
 * differs from the Java encoding. Each {@code int} constant of {@link Vfio}, {@link Iommufd} and
 * {@link IommufdTest} becomes a {@code u32}, each {@code long} a {@code u64}. {@code
 * UapiHeaderTest} fails when the committed module is stale.
 */
public final class UapiRust {
  /** Fields whose Rust declaration the record's component cannot give (a union, a signed fd). */
  private static final Map<String, String> SPECIAL =
      Map.of(
          "IommuHwInfo.dataType", "in_data_type: u32, // union with out_data_type",
          "VfioDeviceBindIommufd.iommufd", "iommufd: i32,");

  private static final Set<String> KEYWORDS = Set.of("type", "ref", "in", "match", "move", "fn");

  private UapiRust() {}

  /**
   * Writes the module to the file named by the first argument, or to standard output.
   *
   * @param args an optional output path
   * @throws IOException if the file cannot be written
   */
  public static void main(String[] args) throws IOException {
    String text = render();
    if (args.length > 0) {
      Files.writeString(Path.of(args[0]), text, StandardCharsets.UTF_8);
    } else {
      System.out.print(text);
    }
  }

  /**
   * Returns the text of {@code uapi.rs}.
   *
   * @return the whole module, starting with its SPDX license line
   */
  public static String render() {
    StringBuilder out = new StringBuilder();
    out.append("// SPDX-License-Identifier: Apache-2.0\n")
        .append("// uapi.rs: the VFIO and iommufd uAPI that jvfio models, generated from the\n")
        .append("// jvfio-api records by org.jvfio.bridge.UapiRust. Do not edit: regenerate with\n")
        .append(
            "// bridge/src/test/c/regenerate-header.sh (UapiHeaderTest fails when it is stale).\n")
        .append("#![allow(non_camel_case_types, non_upper_case_globals, dead_code)]\n\n")
        .append("use core::mem::{offset_of, size_of};\n\n");
    for (Class<?> c : List.of(Vfio.class, Iommufd.class, IommufdTest.class)) {
      out.append("// ").append(c.getName()).append('\n');
      constants(c, out);
      out.append('\n');
    }
    for (Class<?> r : UapiHeader.records()) {
      struct(r, out);
    }
    return out.toString();
  }

  private static void constants(Class<?> c, StringBuilder out) {
    for (Field f : c.getFields()) {
      int m = f.getModifiers();
      if (!Modifier.isStatic(m) || !Modifier.isFinal(m)) {
        continue;
      }
      try {
        if (f.getType() == int.class) {
          String hex = Integer.toHexString(f.getInt(null));
          out.append(String.format(Locale.ROOT, "pub const %s: u32 = 0x%s;%n", f.getName(), hex));
        } else if (f.getType() == long.class) {
          String hex = Long.toHexString(f.getLong(null));
          out.append(String.format(Locale.ROOT, "pub const %s: u64 = 0x%s;%n", f.getName(), hex));
        }
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private static void struct(Class<?> r, StringBuilder out) {
    String name = UapiHeader.snake(r.getSimpleName());
    StringBuilder asserts = new StringBuilder();
    asserts.append(
        String.format(
            Locale.ROOT,
            "const _: () = assert!(size_of::<%s>() == %d);%n",
            name,
            UapiHeader.sizeOf(r)));
    out.append("#[repr(C)]\n#[derive(Debug, Default, Clone, Copy)]\npub struct ")
        .append(name)
        .append(" {\n");
    RecordComponent[] comps = r.getRecordComponents();
    for (int i = 0; i < comps.length; i++) {
      int[] at = UapiHeader.measure(r, i);
      String decl = SPECIAL.get(r.getSimpleName() + "." + comps[i].getName());
      if (decl == null) {
        decl = field(UapiHeader.cName(comps[i].getName())) + ": " + type(comps[i], at[1]) + ",";
      }
      out.append("    pub ").append(decl).append('\n');
      String field = decl.substring(0, decl.indexOf(':'));
      asserts.append(
          String.format(
              Locale.ROOT,
              "const _: () = assert!(offset_of!(%s, %s) == %d);%n",
              name,
              field,
              at[0]));
    }
    if (UapiHeader.FLEXIBLE.containsKey(r.getSimpleName())) {
      out.append("    pub data: [u8; 0],\n");
    }
    out.append("}\n").append(asserts).append('\n');
  }

  private static String field(String cName) {
    return KEYWORDS.contains(cName) ? "r#" + cName : cName;
  }

  private static String type(RecordComponent rc, int width) {
    if (rc.getType().isRecord()) {
      return UapiHeader.snake(rc.getType().getSimpleName());
    }
    switch (width) {
      case 1:
        return "u8";
      case 2:
        return "u16";
      case 4:
        return "u32";
      case 8:
        return "u64";
      default:
        return "[u8; " + width + "]";
    }
  }
}
