/* The token write path of mock_llm in C: the same bytes as chunk_writer.py.
 *
 * Why C: the per-token Python (attribute loads on a thousand cold objects,
 * the frame formatting, a bound method per reschedule) costs 1.04-1.15 us a
 * token against 0.55-0.62 us here (results/README.md, "mock_llm throughput");
 * at 100k tokens/s on one core that margin is what lets the mock catch up
 * after a disturbance instead of writing late in bursts. This type does the
 * plain-chunk case only; anything
 * else (the last chunk, a fault, a stream that is gone) calls the subclass's
 * ``_due_slow``, written in Python, exactly as PyChunkWriter does.
 *
 * Writes still go through the transport's ``write`` (uvloop): it owns the
 * socket, its buffering and its error handling, so nothing here touches a
 * file descriptor.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "structmember.h"

typedef struct {
    PyObject_HEAD
    /* What the hot path reads, first: the object is cold on every call (a
     * thousand streams, each called once per 10 ms), so every cache line of
     * it that is touched is a miss. The Py_buffers (80 bytes each) go last. */
    Py_ssize_t next;     /* index of the next chunk due */
    Py_ssize_t fast_end; /* chunks before this index are plain; -1: all take _due_slow */
    Py_ssize_t written;  /* chunks stamped (written chunks are always a prefix) */
    Py_ssize_t last;     /* index of the last chunk: fast_end is clamped to it */
    const int64_t *deadline_ns; /* deadlines.buf: when each chunk is due */
    int64_t *stamp_ns;          /* stamps.buf: when each chunk was written */
    PyObject *write;   /* transport.write */
    PyObject *call_at; /* TimerWheel.call_at */
    PyObject *chunks;  /* tuple of bytes: each content chunk's JSON string literal */
    PyObject *prefix;  /* bytes before the literal in an SSE event */
    PyObject *suffix;  /* bytes after it */
    int bound;
    unsigned long generation; /* bumped by every bind and release */
    Py_buffer deadlines; /* int64 per chunk */
    Py_buffer stamps;    /* int64 per chunk, writable */
} ChunkWriter;

static PyObject *str_due_slow; /* interned "_due_slow" */

static void
release(ChunkWriter *self)
{
    if (self->bound) {
        PyBuffer_Release(&self->deadlines);
        PyBuffer_Release(&self->stamps);
        self->bound = 0;
    }
    self->generation++;
    self->deadline_ns = NULL;
    self->stamp_ns = NULL;
    self->fast_end = -1;
    Py_CLEAR(self->write);
    Py_CLEAR(self->call_at);
    Py_CLEAR(self->chunks);
    Py_CLEAR(self->prefix);
    Py_CLEAR(self->suffix);
}

static int
int64_buffer(PyObject *obj, Py_buffer *view, int flags, const char *name)
{
    if (PyObject_GetBuffer(obj, view, flags | PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) {
        return -1;
    }
    if (view->itemsize != 8 || view->format == NULL || strcmp(view->format, "q") != 0) {
        PyBuffer_Release(view);
        PyErr_Format(PyExc_TypeError, "%s must be array('q')", name);
        return -1;
    }
    return 0;
}

static PyObject *
bind_writer(ChunkWriter *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError,
                        "_bind_writer(write, call_at, chunks, prefix, suffix, deadlines, stamps)");
        return NULL;
    }
    PyObject *chunks = args[2], *prefix = args[3], *suffix = args[4];
    if (!PyTuple_CheckExact(chunks) || !PyBytes_CheckExact(prefix) || !PyBytes_CheckExact(suffix)) {
        PyErr_SetString(PyExc_TypeError, "chunks must be a tuple, prefix and suffix bytes");
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(chunks);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyBytes_CheckExact(PyTuple_GET_ITEM(chunks, i))) {
            PyErr_SetString(PyExc_TypeError, "chunks must hold bytes");
            return NULL;
        }
    }
    release(self);
    if (int64_buffer(args[5], &self->deadlines, PyBUF_SIMPLE, "deadlines") < 0) {
        return NULL;
    }
    if (int64_buffer(args[6], &self->stamps, PyBUF_WRITABLE, "stamps") < 0) {
        PyBuffer_Release(&self->deadlines);
        return NULL;
    }
    self->bound = 1;
    self->generation++;
    self->last = n - 1;
    self->deadline_ns = (const int64_t *)self->deadlines.buf;
    self->stamp_ns = (int64_t *)self->stamps.buf;
    if (self->deadlines.len / 8 < n || self->stamps.len / 8 < n) {
        release(self);
        PyErr_SetString(PyExc_ValueError, "deadlines and stamps need one item per chunk");
        return NULL;
    }
    Py_INCREF(args[0]);
    self->write = args[0];
    Py_INCREF(args[1]);
    self->call_at = args[1];
    Py_INCREF(chunks);
    self->chunks = chunks;
    Py_INCREF(prefix);
    self->prefix = prefix;
    Py_INCREF(suffix);
    self->suffix = suffix;
    Py_RETURN_NONE;
}

static PyObject *
unbind_writer(ChunkWriter *self, PyObject *Py_UNUSED(ignored))
{
    release(self);
    Py_RETURN_NONE;
}

static int
hex_digits(Py_ssize_t n)
{
    int d = 1;
    while (n >= 16) {
        n >>= 4;
        d++;
    }
    return d;
}

static char *
put_frame(char *out, const char *pre, Py_ssize_t pre_len, const char *text, Py_ssize_t text_len,
          const char *suf, Py_ssize_t suf_len)
{
    /* HTTP/1.1 chunked framing around one SSE event: "%x\r\n" event "\r\n". */
    static const char hex[] = "0123456789abcdef";
    Py_ssize_t body = pre_len + text_len + suf_len;
    int digits = hex_digits(body);
    for (int k = digits - 1; k >= 0; k--) {
        out[k] = hex[body & 0xf];
        body >>= 4;
    }
    out += digits;
    *out++ = '\r';
    *out++ = '\n';
    memcpy(out, pre, (size_t)pre_len);
    out += pre_len;
    memcpy(out, text, (size_t)text_len);
    out += text_len;
    memcpy(out, suf, (size_t)suf_len);
    out += suf_len;
    *out++ = '\r';
    *out++ = '\n';
    return out;
}

static PyObject *
due_slow(ChunkWriter *self, PyObject *now)
{
    return PyObject_CallMethodOneArg((PyObject *)self, str_due_slow, now);
}

/* The hot path: the plain content chunk(s) due now, in one write, stamped. */
static PyObject *
writer_call(ChunkWriter *self, PyObject *args, PyObject *kwargs)
{
    PyObject *now_obj;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0) {
        PyErr_SetString(PyExc_TypeError, "takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_UnpackTuple(args, "ChunkWriter", 1, 1, &now_obj)) {
        return NULL;
    }
    if (!PyLong_CheckExact(now_obj)) {
        /* Not an int subclass's __index__ either: no Python code between the
         * checks below and the reads of the buffers they guard. */
        PyErr_SetString(PyExc_TypeError, "now_ns must be an int");
        return NULL;
    }
    long long now = PyLong_AsLongLong(now_obj);
    if (now == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Py_ssize_t i = self->next, end = self->fast_end;
    if (end > self->last) {
        end = self->last; /* _fast_end is writable from Python: never index past the buffers */
    }
    if (!self->bound || i >= end || i < 0) {
        return due_slow(self, now_obj);
    }
    const int64_t *deadlines = self->deadline_ns;
    /* i < end <= the last chunk: there is a next one. Chunks already due
     * (zero delay, or catching up) are joined into the same write. */
    Py_ssize_t due_end = i + 1;
    while (due_end < end && deadlines[due_end] <= now) {
        due_end++;
    }
    const char *pre = PyBytes_AS_STRING(self->prefix);
    const char *suf = PyBytes_AS_STRING(self->suffix);
    Py_ssize_t pre_len = PyBytes_GET_SIZE(self->prefix);
    Py_ssize_t suf_len = PyBytes_GET_SIZE(self->suffix);
    Py_ssize_t total = 0;
    for (Py_ssize_t k = i; k < due_end; k++) {
        Py_ssize_t body = pre_len + PyBytes_GET_SIZE(PyTuple_GET_ITEM(self->chunks, k)) + suf_len;
        total += hex_digits(body) + 2 + body + 2;
    }
    PyObject *data = PyBytes_FromStringAndSize(NULL, total);
    if (data == NULL) {
        return NULL;
    }
    char *out = PyBytes_AS_STRING(data);
    for (Py_ssize_t k = i; k < due_end; k++) {
        PyObject *text = PyTuple_GET_ITEM(self->chunks, k);
        out = put_frame(out, pre, pre_len, PyBytes_AS_STRING(text), PyBytes_GET_SIZE(text), suf,
                        suf_len);
    }
    int64_t next_ns = deadlines[due_end];
    /* Strong references for the calls: they run Python code, which may unbind
     * (the stream ended) or even rebind us. */
    unsigned long generation = self->generation;
    PyObject *write = self->write, *call_at = self->call_at;
    Py_INCREF(write);
    Py_INCREF(call_at);
    PyObject *res = PyObject_CallOneArg(write, data);
    Py_DECREF(data);
    Py_DECREF(write);
    if (res == NULL) {
        Py_DECREF(call_at);
        return NULL;
    }
    Py_DECREF(res);
    if (!self->bound || self->generation != generation) {
        /* The write ended the stream: it has been accounted (fold) and must
         * not be stamped, advanced or rescheduled any more. */
        Py_DECREF(call_at);
        Py_RETURN_NONE;
    }
    int64_t *stamps = self->stamp_ns;
    for (Py_ssize_t k = i; k < due_end; k++) {
        stamps[k] = (int64_t)now;
    }
    self->written = due_end;
    self->next = due_end;
    PyObject *when = PyLong_FromLongLong((long long)next_ns);
    if (when == NULL) {
        Py_DECREF(call_at);
        return NULL;
    }
    PyObject *call_args[2] = {when, (PyObject *)self};
    res = PyObject_Vectorcall(call_at, call_args, 2, NULL);
    Py_DECREF(when);
    Py_DECREF(call_at);
    if (res == NULL) {
        return NULL;
    }
    Py_DECREF(res);
    Py_RETURN_NONE;
}

static int
writer_traverse(ChunkWriter *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->write);
    Py_VISIT(self->call_at);
    Py_VISIT(self->chunks);
    Py_VISIT(self->prefix);
    Py_VISIT(self->suffix);
    if (self->bound) {
        Py_VISIT(self->deadlines.obj);
        Py_VISIT(self->stamps.obj);
    }
    return 0;
}

static int
writer_clear(ChunkWriter *self)
{
    release(self);
    return 0;
}

static void
writer_dealloc(ChunkWriter *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    release(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *
writer_new(PyTypeObject *type, PyObject *Py_UNUSED(args), PyObject *Py_UNUSED(kwargs))
{
    ChunkWriter *self = (ChunkWriter *)type->tp_alloc(type, 0);
    if (self != NULL) {
        self->fast_end = -1;
    }
    return (PyObject *)self;
}

static PyMethodDef writer_methods[] = {
    {"_bind_writer", (PyCFunction)(void (*)(void))bind_writer, METH_FASTCALL,
     "Bind the write path: transport.write, wheel.call_at, chunks, prefix, suffix, deadlines, "
     "stamps."},
    {"_unbind_writer", (PyCFunction)unbind_writer, METH_NOARGS,
     "Drop every reference the write path holds; every later call takes _due_slow."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef writer_members[] = {
    {"_next", T_PYSSIZET, offsetof(ChunkWriter, next), 0, "index of the next chunk due"},
    {"_written", T_PYSSIZET, offsetof(ChunkWriter, written), 0, "chunks written and stamped"},
    {"_fast_end", T_PYSSIZET, offsetof(ChunkWriter, fast_end), 0,
     "chunks before this index take the fast path; -1: none"},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot writer_slots[] = {
    {Py_tp_doc, "Writes a stream's plain content chunks when the timer wheel calls it."},
    {Py_tp_new, writer_new},
    {Py_tp_call, writer_call},
    {Py_tp_dealloc, writer_dealloc},
    {Py_tp_traverse, writer_traverse},
    {Py_tp_clear, writer_clear},
    {Py_tp_methods, writer_methods},
    {Py_tp_members, writer_members},
    {0, NULL},
};

static PyType_Spec writer_spec = {
    .name = "mock_llm.engine._chunk_writer.ChunkWriter",
    .basicsize = sizeof(ChunkWriter),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = writer_slots,
};

static int
module_exec(PyObject *module)
{
    str_due_slow = PyUnicode_InternFromString("_due_slow");
    if (str_due_slow == NULL) {
        return -1;
    }
    PyObject *type = PyType_FromModuleAndSpec(module, &writer_spec, NULL);
    if (type == NULL) {
        return -1;
    }
    int rc = PyModule_AddObjectRef(module, "ChunkWriter", type);
    Py_DECREF(type);
    return rc;
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "mock_llm.engine._chunk_writer",
    .m_doc = "mock_llm's token write path in C (see chunk_writer.py for the same in Python).",
    .m_size = 0,
    .m_slots = module_slots,
};

PyMODINIT_FUNC
PyInit__chunk_writer(void)
{
    return PyModuleDef_Init(&module_def);
}
