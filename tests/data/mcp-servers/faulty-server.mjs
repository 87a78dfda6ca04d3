// A deliberately broken MCP server for voidbox's skill-mcp tests (plain
// node, no dependencies). It completes the stdio handshake and lists three
// tools, each of which breaks in its own way when called:
//   boom - writes two lines to stderr and exits with status 3 mid-call
//   wait - never answers (the client's per-call timeout must fire)
//   talk - writes a line that is not JSON-RPC
import readline from "node:readline";

const send = (m) => process.stdout.write(JSON.stringify(m) + "\n");
const tool = (name, description) => ({ name, description, inputSchema: { type: "object" } });

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const m = JSON.parse(line);
  if (m.method === "initialize") {
    send({
      jsonrpc: "2.0",
      id: m.id,
      result: {
        protocolVersion: m.params.protocolVersion,
        capabilities: { tools: {} },
        serverInfo: { name: "faulty", version: "1.0.0" },
      },
    });
  } else if (m.method === "tools/list") {
    send({
      jsonrpc: "2.0",
      id: m.id,
      result: {
        tools: [tool("boom", "crashes mid-call"), tool("wait", "never answers"), tool("talk", "writes garbage")],
      },
    });
  } else if (m.method === "tools/call") {
    const name = m.params.name;
    if (name === "boom") {
      process.stderr.write("faulty: about to crash\nfaulty: fatal error E42\n", () => process.exit(3));
    } else if (name === "talk") {
      process.stdout.write("<html>this is not JSON</html>\n");
    } // "wait": no answer, ever
  } else if (m.id !== undefined && m.method !== undefined) {
    send({ jsonrpc: "2.0", id: m.id, error: { code: -32601, message: "Method not found" } });
  }
});
