// File: ploke/adapters/digest.h
//
// SHA-256 as lowercase hex (OpenSSL's EVP): scenario result digests, client-key hashes.
#pragma once

#include <string>
#include <string_view>

namespace ploke::adapters {

/// The SHA-256 of `data`, 64 lowercase hex characters ("" if OpenSSL fails).
std::string sha256_hex(std::string_view data);

}  // namespace ploke::adapters
