/*
 * tests/install/plugins/cxx_llm.cpp - the install test's C++ plugin: LLM
 * provider "cxx-llm". Its first turn calls the `shout` tool with "hello
 * from c++"; once a tool result is in the conversation it answers "C++
 * model heard: RESULT". Built against an installed SDK only; the entry
 * symbol must come out unmangled (VBX_PLUGIN_DEFINE's extern "C").
 */
#include <cstring>
#include <new>
#include <string>

#include <voidbox/plugin.h>

namespace {

const vbx_host_services *host;

// The text of the last tool_result block in the conversation, if any.
bool last_tool_result(const vbx_json *messages, std::string &out) {
  bool found = false;
  for (size_t i = 0; i < host->json_array_size(messages); i++) {
    const vbx_json *content = host->json_object_get(host->json_array_get(messages, i), "content");
    if (content == nullptr || host->json_type(content) != VBX_JSON_ARRAY) continue;
    for (size_t j = 0; j < host->json_array_size(content); j++) {
      const vbx_json *block = host->json_array_get(content, j);
      const char *type = host->json_string_value(host->json_object_get(block, "type"));
      if (type == nullptr || std::strcmp(type, "tool_result") != 0) continue;
      const vbx_json *c = host->json_object_get(block, "content");
      out.clear();
      if (host->json_type(c) == VBX_JSON_STRING) {
        out = host->json_string_value(c);
      } else if (host->json_type(c) == VBX_JSON_ARRAY) {
        for (size_t k = 0; k < host->json_array_size(c); k++) {
          const char *t = host->json_string_value(host->json_object_get(host->json_array_get(c, k), "text"));
          if (t != nullptr) out += t;
        }
      }
      found = true;
    }
  }
  return found;
}

vbx_json *text_block(const std::string &text) {
  vbx_json *b = host->json_object_new();
  host->json_object_set(b, "type", host->json_string_new("text", 4));
  host->json_object_set(b, "text", host->json_string_new(text.data(), text.size()));
  return b;
}

vbx_json *shout_block() {
  vbx_json *input = host->json_object_new();
  const std::string words = "hello from c++";
  host->json_object_set(input, "text", host->json_string_new(words.data(), words.size()));
  vbx_json *b = host->json_object_new();
  host->json_object_set(b, "type", host->json_string_new("tool_use", 8));
  host->json_object_set(b, "id", host->json_string_new("toolu_cxx_1", 11));
  host->json_object_set(b, "name", host->json_string_new("shout", 5));
  host->json_object_set(b, "input", input);
  return b;
}

int create(void *, const vbx_llm_config *, vbx_call *, void **out) {
  *out = const_cast<vbx_host_services **>(&host); // no per-box state
  return 0;
}

void destroy(void *) {}

int complete(void *, const vbx_llm_request *req, vbx_llm_response *resp, vbx_call *call) {
  try {
    std::string heard;
    vbx_json *content = host->json_array_new();
    bool answer = last_tool_result(req->messages, heard);
    host->json_array_append(content, answer ? text_block("C++ model heard: " + heard)
                                            : shout_block());
    resp->content = content;
    resp->stop_reason = host->strdup(answer ? "end_turn" : "tool_use");
    resp->model = host->strdup("cxx-model");
    return 0;
  } catch (const std::bad_alloc &) { // nothing may cross the C boundary
    return host->set_error(call, VBX_E_NOMEM, nullptr, "out of memory");
  }
}

vbx_llm_provider_vtable make_vtable() {
  vbx_llm_provider_vtable vt{};
  vt.struct_size = sizeof(vt);
  vt.name = "cxx-llm";
  vt.description = "install test: a scripted model written in C++";
  vt.create = create;
  vt.destroy = destroy;
  vt.complete = complete;
  return vt;
}

const vbx_llm_provider_vtable vtable = make_vtable();

int init(const vbx_host_services *h, const vbx_registrar *reg, void **state) {
  host = h;
  *state = nullptr;
  return reg->register_llm_provider(reg->reg, &vtable);
}

} // namespace

VBX_PLUGIN_DEFINE("install-cxx-llm", "1.0.0", "MIT", "install test plugin in C++", init, nullptr)
