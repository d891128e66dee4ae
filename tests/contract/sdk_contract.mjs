// Calls every Unipile endpoint Holdfast uses through the official unipile-node-sdk, with the SDK's response
// validation on (level "error": a shape its validators reject throws). Usage:
//   node sdk_contract.mjs BASE_URL API_KEY '{"account_id": ..., "relation": ..., "stranger": ..., ...}'
// Prints one JSON line per call ({name, ok, error?, result?}) and exits 1 if any call failed.
import { UnipileClient } from "unipile-node-sdk";

const [baseUrl, apiKey, rawIds] = process.argv.slice(2);
const ids = JSON.parse(rawIds);
const client = new UnipileClient(baseUrl, apiKey, { validateRequestPayload: true, validateRequestPayloadLevel: "error" });
const inOneHour = new Date(Date.now() + 3600 * 1000).toISOString();

const calls = [
  ["get_account", () => client.account.getOne(ids.account_id)],
  ["list_accounts", () => client.account.getAll({ limit: 10 })],
  ["get_user", () => client.users.getProfile({ account_id: ids.account_id, identifier: ids.public_identifier })],
  ["send_invite", () => client.users.sendInvitation({ account_id: ids.account_id, provider_id: ids.invitee,
                                                     message: "Hello" })],
  ["list_sent_invitations", () => client.users.getAllInvitationsSent({ account_id: ids.account_id, limit: 100 })],
  ["list_relations", () => client.users.getAllRelations({ account_id: ids.account_id, limit: 100 })],
  ["start_chat", () => client.messaging.startNewChat({ account_id: ids.account_id, attendees_ids: [ids.relation],
                                                       text: "Thanks for connecting" })],
  ["start_chat_inmail", () => client.messaging.startNewChat({
    account_id: ids.account_id, attendees_ids: [ids.stranger], text: "An InMail",
    options: { linkedin: { api: "classic", inmail: true } } })],
  ["start_chat_sales_navigator", () => client.messaging.startNewChat({
    account_id: ids.account_id, attendees_ids: [ids.stranger2], text: "An InMail", subject: "Hello",
    options: { linkedin: { api: "sales_navigator" } } })],
  ["list_chats", () => client.messaging.getAllChats({ account_id: ids.account_id, limit: 50 })],
  ["send_message", async () => {
    const chats = await client.messaging.getAllChats({ account_id: ids.account_id, limit: 1 });
    return client.messaging.sendMessage({ chat_id: chats.items[0].id, text: "Following up" });
  }],
  ["list_chat_messages", async () => {
    const chats = await client.messaging.getAllChats({ account_id: ids.account_id, limit: 1 });
    return client.messaging.getAllMessagesFromChat({ chat_id: chats.items[0].id, limit: 50 });
  }],
  ["create_reconnect_link", () => client.account.createHostedAuthLink({
    type: "reconnect", reconnect_account: ids.account_id, api_url: baseUrl, expiresOn: inOneHour,
    notify_url: "http://127.0.0.1:9/notify" })],
  ["create_account_link", () => client.account.createHostedAuthLink({
    type: "create", providers: ["LINKEDIN"], api_url: baseUrl, expiresOn: inOneHour,
    notify_url: "http://127.0.0.1:9/notify", name: "workspace-1" })],
  ["create_webhook", () => client.webhook.create({ request_url: "http://127.0.0.1:9/hook", source: "messaging",
                                                   name: "holdfast-messaging",
                                                   headers: [{ key: "X-Holdfast-Secret", value: "s" }] })],
  ["list_webhooks", () => client.webhook.getAll()],
  ["delete_webhook", async () => {
    const hooks = await client.webhook.getAll();
    return client.webhook.delete(hooks.items[0].id);
  }],
];

let failed = 0;
for (const [name, call] of calls) {
  try {
    const result = await call();
    console.log(JSON.stringify({ name, ok: true, result }));
  } catch (error) {
    failed += 1;
    const detail = error && typeof error === "object"
      ? { message: String(error.message ?? error), name: error.name, body: error.body ?? null,
          errors: Array.isArray(error.errors) ? error.errors.slice(0, 5).map((e) => ({ path: e.path,
            message: e.message })) : undefined }
      : { message: String(error) };
    console.log(JSON.stringify({ name, ok: false, error: detail }));
  }
}
process.exit(failed ? 1 : 0);
