// Make the admin and one push monitor on a fresh Uptime Kuma, over its
// socket.io API.  argv: URL USER PASSWORD PUSH_TOKEN.  Prints the monitor's
// id.  NODE_PATH must reach socket.io-client.
const { io } = require("socket.io-client");

const [url, user, password, pushToken] = process.argv.slice(2);
const socket = io(url, { transports: ["websocket"], reconnection: false });

function call(event, ...args) {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(event + ": no answer")), 30000);
        socket.emit(event, ...args, (res) => {
            clearTimeout(timer);
            if (res && res.ok === false) {
                reject(new Error(event + ": " + res.msg));
            } else {
                resolve(res);
            }
        });
    });
}

async function main() {
    await new Promise((resolve, reject) => {
        socket.on("connect", resolve);
        socket.on("connect_error", reject);
    });
    await call("setup", user, password);
    await call("login", { username: user, password, token: "" });
    const res = await call("add", {
        type: "push", name: "hbrun", pushToken, interval: 3600,
        retryInterval: 3600, maxretries: 0, active: true,
        accepted_statuscodes: ["200-299"], notificationIDList: {},
        kafkaProducerBrokers: [], kafkaProducerSaslOptions: { mechanism: "None" },
    });
    process.stdout.write(String(res.monitorID) + "\n");
    socket.close();
}

main().catch((e) => {
    process.stderr.write(String(e && e.message || e) + "\n");
    process.exit(1);
});
