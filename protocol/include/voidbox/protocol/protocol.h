/*
 * voidbox/protocol/protocol.h - umbrella header for the wire format v1
 * library (vbx_protocol). docs/protocol.md is the specification.
 */
#ifndef VOIDBOX_PROTOCOL_PROTOCOL_H
#define VOIDBOX_PROTOCOL_PROTOCOL_H

#include "voidbox/protocol/wire.h"
#include "voidbox/protocol/messages.h"
#include "voidbox/protocol/crypto.h"
#include "voidbox/protocol/handshake.h"
#include "voidbox/protocol/flow.h"
#include "voidbox/protocol/tunnel.h"
#include "voidbox/protocol/policy.h"

#endif /* VOIDBOX_PROTOCOL_PROTOCOL_H */
