import dns2 from 'dns2';

const { Packet } = dns2;

/** A TXT-only DNS server on a loopback port: the records a test sets, NXDOMAIN-free empty answers otherwise. */
export interface DnsStub {
  /** `host:port`, the form `BACKLEX_DNS_SERVERS` and `dns.setServers` take. */
  readonly server: string;
  /** Replaces the TXT strings answered for `name` (case-insensitive, no trailing dot). */
  setTxt(name: string, values: string[]): void;
  clear(name: string): void;
  /** Names asked for, in order: lets a test prove the lookup went through this server. */
  readonly queries: string[];
  close(): Promise<void>;
}

export async function startDnsStub(): Promise<DnsStub> {
  const records = new Map<string, string[]>();
  const queries: string[] = [];
  const normalize = (name: string) => name.toLowerCase().replace(/\.$/, '');
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      for (const question of request.questions) {
        const name = normalize(question.name);
        queries.push(name);
        if (question.type !== Packet.TYPE.TXT && question.type !== Packet.TYPE.ANY) continue;
        for (const value of records.get(name) ?? []) {
          response.answers.push(
            Packet.createResourceFromQuestion(question, {
              type: Packet.TYPE.TXT,
              class: Packet.CLASS.IN,
              ttl: 1,
              data: value,
            }),
          );
        }
      }
      send(response);
    },
  });
  await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  const address = server.addresses().udp;
  if (!address) throw new Error('dns stub: no UDP address');
  return {
    server: `127.0.0.1:${address.port}`,
    setTxt: (name, values) => {
      records.set(normalize(name), values);
    },
    clear: (name) => {
      records.delete(normalize(name));
    },
    queries,
    close: () => server.close(),
  };
}
