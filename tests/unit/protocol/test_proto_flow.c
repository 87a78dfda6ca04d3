/*
 * test_proto_flow.c - credit accounting (sender) and grant policy
 * (receiver), including a simulated exchange that must never overrun.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "voidbox/protocol/protocol.h"

static void test_credit_basic(void **state)
{
    struct vbx_proto_credit c;

    (void)state;
    vbx_proto_credit_init(&c);
    assert_int_equal(vbx_proto_credit_available(&c), VBX_PROTO_INITIAL_WINDOW);
    assert_int_equal(vbx_proto_credit_consume(&c, 1000), 0);
    assert_int_equal(vbx_proto_credit_available(&c), VBX_PROTO_INITIAL_WINDOW - 1000);
    assert_int_equal(vbx_proto_credit_consume(&c, VBX_PROTO_INITIAL_WINDOW), VBX_PROTO_E_AGAIN);
    assert_int_equal(vbx_proto_credit_consume(&c, VBX_PROTO_INITIAL_WINDOW - 1000), 0);
    assert_int_equal(vbx_proto_credit_available(&c), 0);
    assert_int_equal(vbx_proto_credit_consume(&c, 1), VBX_PROTO_E_AGAIN);
    assert_int_equal(vbx_proto_credit_grant(&c, 0), VBX_PROTO_E_PROTOCOL);
    assert_int_equal(vbx_proto_credit_grant(&c, 500), 0);
    assert_int_equal(vbx_proto_credit_available(&c), 500);
    /* outstanding credit may not exceed VBX_PROTO_MAX_WINDOW */
    assert_int_equal(vbx_proto_credit_grant(&c, VBX_PROTO_MAX_WINDOW), VBX_PROTO_E_PROTOCOL);
    assert_int_equal(vbx_proto_credit_available(&c), 500);
    assert_int_equal(vbx_proto_credit_grant(&c, VBX_PROTO_MAX_WINDOW - 500), 0);
    assert_int_equal(vbx_proto_credit_available(&c), VBX_PROTO_MAX_WINDOW);
}

static void test_window_overrun_is_protocol_error(void **state)
{
    struct vbx_proto_window w;

    (void)state;
    vbx_proto_window_init(&w, 0);
    assert_int_equal(w.window, VBX_PROTO_INITIAL_WINDOW);
    assert_int_equal(vbx_proto_window_on_data(&w, VBX_PROTO_INITIAL_WINDOW), 0);
    assert_int_equal(vbx_proto_window_on_data(&w, 1), VBX_PROTO_E_PROTOCOL);
    assert_int_equal(vbx_proto_window_buffered(&w), VBX_PROTO_INITIAL_WINDOW);
    assert_int_equal(vbx_proto_window_on_consumed(&w, VBX_PROTO_INITIAL_WINDOW + 1),
                     VBX_PROTO_E_INVAL);
}

static void test_window_grant_policy(void **state)
{
    struct vbx_proto_window w;
    uint32_t g;

    (void)state;
    vbx_proto_window_init(&w, 1024 * 1024);
    /* bigger window than the initial one: a grant is due immediately */
    g = vbx_proto_window_grant(&w);
    assert_int_equal(g, 1024 * 1024 - VBX_PROTO_INITIAL_WINDOW);
    assert_int_equal(vbx_proto_window_grant(&w), 0);
    assert_int_equal(vbx_proto_window_on_data(&w, 1024 * 1024), 0);
    /* nothing consumed: no grant, the buffer is full */
    assert_int_equal(vbx_proto_window_grant(&w), 0);
    /* small consumption: below half the window, no grant (no tiny updates) */
    assert_int_equal(vbx_proto_window_on_consumed(&w, 1000), 0);
    assert_int_equal(vbx_proto_window_grant(&w), 0);
    assert_int_equal(vbx_proto_window_on_consumed(&w, 512 * 1024), 0);
    g = vbx_proto_window_grant(&w);
    assert_int_equal(g, 512 * 1024 + 1000);
    assert_true(w.granted - w.consumed <= w.window);
}

/* Simulate a fast sender and a slow consumer over many rounds: the sender
 * never exceeds its credit, the receiver never buffers more than its window,
 * and every byte arrives. */
static void test_flow_simulation(void **state)
{
    struct vbx_proto_credit c;
    struct vbx_proto_window w;
    uint64_t total = 0, drained = 0;
    uint32_t chunk, g;
    int round;

    (void)state;
    vbx_proto_credit_init(&c);
    vbx_proto_window_init(&w, 300 * 1024);
    for (round = 0; round < 10000; round++) {
        chunk = vbx_proto_credit_available(&c);
        if (chunk > 65536)
            chunk = 65536;
        if (chunk) {
            assert_int_equal(vbx_proto_credit_consume(&c, chunk), 0);
            assert_int_equal(vbx_proto_window_on_data(&w, chunk), 0);
            total += chunk;
        }
        assert_true(vbx_proto_window_buffered(&w) <= w.window);
        /* consumer drains a little each round */
        chunk = vbx_proto_window_buffered(&w);
        if (chunk > 7000)
            chunk = 7000;
        assert_int_equal(vbx_proto_window_on_consumed(&w, chunk), 0);
        drained += chunk;
        g = vbx_proto_window_grant(&w);
        if (g)
            assert_int_equal(vbx_proto_credit_grant(&c, g), 0);
    }
    assert_true(total > 10u * 1024 * 1024);
    assert_int_equal(total - drained, vbx_proto_window_buffered(&w));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_credit_basic),
        cmocka_unit_test(test_window_overrun_is_protocol_error),
        cmocka_unit_test(test_window_grant_policy),
        cmocka_unit_test(test_flow_simulation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
