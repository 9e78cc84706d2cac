#include "tiff_structure_check.h"

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace pancaim::pathology::internal {
namespace {

constexpr std::uint16_t kStripOffsets = 273, kStripByteCounts = 279;
constexpr std::uint16_t kTileOffsets = 324, kTileByteCounts = 325;
constexpr int kMaxDirectories = 4096;
constexpr std::uint64_t kMaxEntriesPerTable = std::uint64_t{1} << 24;

// Random-access reader over the file with the TIFF's byte order; reads past the end fail.
class TiffBytes {
 public:
  TiffBytes(std::ifstream& in, std::uint64_t size) : in_(in), size_(size) {}
  void set_big_endian(bool big) { big_endian_ = big; }
  std::uint64_t size() const { return size_; }

  bool ReadUnsigned(std::uint64_t offset, int bytes, std::uint64_t* value) {
    if (offset > size_ || size_ - offset < static_cast<std::uint64_t>(bytes)) return false;
    unsigned char buffer[8];
    in_.seekg(static_cast<std::streamoff>(offset));
    if (!in_.read(reinterpret_cast<char*>(buffer), bytes)) return false;
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) {
      const int shift = big_endian_ ? 8 * (bytes - 1 - i) : 8 * i;
      v |= static_cast<std::uint64_t>(buffer[i]) << shift;
    }
    *value = v;
    return true;
  }

 private:
  std::ifstream& in_;
  std::uint64_t size_;
  bool big_endian_ = false;
};

struct TiffLayout {
  bool big = false;
  int count_bytes = 2, entry_bytes = 12, offset_bytes = 4;
};

struct TableEntry {
  std::uint16_t type = 0;
  std::uint64_t count = 0;
  std::uint64_t value_offset = 0;  // where the values are (inline or pointed to)
};

int TypeSize(std::uint16_t type) {
  switch (type) {
    case 3: return 2;   // SHORT
    case 4: return 4;   // LONG
    case 16: return 8;  // LONG8
    default: return 0;
  }
}

// Bytes per value of any TIFF field type (0 for unknown types, which are not checked).
int ValueSize(std::uint16_t type) {
  switch (type) {
    case 1: case 2: case 6: case 7: return 1;    // BYTE, ASCII, SBYTE, UNDEFINED
    case 3: case 8: return 2;                    // SHORT, SSHORT
    case 4: case 9: case 11: case 13: return 4;  // LONG, SLONG, FLOAT, IFD
    case 5: case 10: case 12: case 16: case 17: case 18: return 8;  // RATIONALs, DOUBLE, 64-bit
    default: return 0;
  }
}

std::string Where(const std::filesystem::path& path) { return "slide '" + path.string() + "'"; }

// Reads values [0, count) of an offset/bytecount table; false on any read past the end.
bool ReadTable(TiffBytes& bytes, const TableEntry& entry, std::vector<std::uint64_t>* values) {
  const int size = TypeSize(entry.type);
  if (size == 0 || entry.count > kMaxEntriesPerTable) return false;
  values->resize(entry.count);
  for (std::uint64_t i = 0; i < entry.count; ++i) {
    if (!bytes.ReadUnsigned(entry.value_offset + i * size, size, &(*values)[i])) return false;
  }
  return true;
}

Status CheckDirectory(const std::filesystem::path& path, TiffBytes& bytes, const TiffLayout& layout,
                      int index, std::uint64_t offset, std::uint64_t* next) {
  const std::string dir = Where(path) + ": truncated or corrupt TIFF: directory " +
                          std::to_string(index) + " at offset " + std::to_string(offset);
  std::uint64_t count = 0;
  if (!bytes.ReadUnsigned(offset, layout.count_bytes, &count)) {
    return DataLossError(dir + " lies beyond the end of the file (" +
                         std::to_string(bytes.size()) + " bytes)");
  }
  TableEntry offsets, counts;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t at = offset + layout.count_bytes + i * layout.entry_bytes;
    std::uint64_t tag = 0, type = 0, n = 0;
    if (!bytes.ReadUnsigned(at, 2, &tag) || !bytes.ReadUnsigned(at + 2, 2, &type) ||
        !bytes.ReadUnsigned(at + 4, layout.offset_bytes, &n)) {
      return DataLossError(dir + " is cut off by the end of the file");
    }
    TableEntry entry{static_cast<std::uint16_t>(type), n, at + 4 + layout.offset_bytes};
    const std::uint64_t value_bytes = static_cast<std::uint64_t>(ValueSize(entry.type)) * n;
    if (n > (std::uint64_t{1} << 40) ||
        (value_bytes > static_cast<std::uint64_t>(layout.offset_bytes) &&
         !bytes.ReadUnsigned(at + 4 + layout.offset_bytes, layout.offset_bytes, &entry.value_offset))) {
      return DataLossError(dir + " is cut off by the end of the file");
    }
    // Out-of-line values (JPEG tables, tile tables, descriptions) must lie inside the file too.
    if (entry.value_offset > bytes.size() || bytes.size() - entry.value_offset < value_bytes) {
      return DataLossError(dir + ": the values of tag " + std::to_string(tag) + " (bytes " +
                           std::to_string(entry.value_offset) + ".." +
                           std::to_string(entry.value_offset + value_bytes) +
                           ") lie beyond the end of the file (" + std::to_string(bytes.size()) +
                           " bytes)");
    }
    if (tag == kTileOffsets || tag == kStripOffsets) offsets = entry;
    if (tag == kTileByteCounts || tag == kStripByteCounts) counts = entry;
  }
  const std::uint64_t after = offset + layout.count_bytes + count * layout.entry_bytes;
  if (!bytes.ReadUnsigned(after, layout.offset_bytes, next)) {
    return DataLossError(dir + " is cut off by the end of the file");
  }
  std::vector<std::uint64_t> starts, lengths;
  if (offsets.count == 0) return Status::Ok();  // nothing to check (e.g. an empty directory)
  if (!ReadTable(bytes, offsets, &starts) || !ReadTable(bytes, counts, &lengths) ||
      starts.size() != lengths.size()) {
    return DataLossError(dir + ": its tile table is missing, unreadable or cut off");
  }
  for (std::size_t i = 0; i < starts.size(); ++i) {
    if (starts[i] > bytes.size() || bytes.size() - starts[i] < lengths[i]) {
      return DataLossError(dir + ": tile " + std::to_string(i) + " (bytes " +
                           std::to_string(starts[i]) + ".." + std::to_string(starts[i] + lengths[i]) +
                           ") lies beyond the end of the file (" + std::to_string(bytes.size()) +
                           " bytes)");
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<bool> HasTiffSignature(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(Where(path) + ": cannot open");
  unsigned char magic[4] = {0, 0, 0, 0};
  in.read(reinterpret_cast<char*>(magic), 4);
  if (in.gcount() < 4) return false;
  const bool little = magic[0] == 'I' && magic[1] == 'I' && magic[3] == 0 &&
                      (magic[2] == 42 || magic[2] == 43);
  const bool big = magic[0] == 'M' && magic[1] == 'M' && magic[2] == 0 &&
                   (magic[3] == 42 || magic[3] == 43);
  return little || big;
}

Status CheckTiffStructure(const std::filesystem::path& path) {
  std::error_code ec;
  const std::uint64_t size = std::filesystem::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (ec || !in) return NotFoundError(Where(path) + ": cannot open");
  TiffBytes bytes(in, size);
  std::uint64_t order = 0, version = 0;
  if (!bytes.ReadUnsigned(0, 2, &order)) return DataLossError(Where(path) + ": empty TIFF");
  bytes.set_big_endian(order == 0x4d4d);
  if (!bytes.ReadUnsigned(2, 2, &version)) return DataLossError(Where(path) + ": truncated TIFF header");
  TiffLayout layout;
  std::uint64_t offset = 0;
  if (version == 43) {
    layout = TiffLayout{true, 8, 20, 8};
    if (!bytes.ReadUnsigned(8, 8, &offset)) return DataLossError(Where(path) + ": truncated BigTIFF header");
  } else if (!bytes.ReadUnsigned(4, 4, &offset)) {
    return DataLossError(Where(path) + ": truncated TIFF header");
  }
  for (int index = 0; offset != 0; ++index) {
    if (index >= kMaxDirectories) {
      return DataLossError(Where(path) + ": corrupt TIFF: more than " +
                           std::to_string(kMaxDirectories) + " directories (a loop?)");
    }
    std::uint64_t next = 0;
    PANCAIM_RETURN_IF_ERROR(CheckDirectory(path, bytes, layout, index, offset, &next));
    offset = next;
  }
  return Status::Ok();
}

}  // namespace pancaim::pathology::internal
