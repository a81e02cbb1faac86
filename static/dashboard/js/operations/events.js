// Live events applied to the view. While a snapshot loads, item events are held and replayed
// after it, skipping those the snapshot already includes (by sequence number).
import { debounce } from "../core.js";
import { removeConcern, removeIncident, upsertConcern, upsertIncident } from "./items.js";
import { refreshTotal } from "./list.js";
import { upsertPatrol } from "./layers.js";
import { panel, proposals } from "./selection.js";
import { propsFromPayload, state } from "./state.js";
import { refreshViewport } from "./viewport.js";

const refreshPanelSoon = debounce(() => panel.refresh(), 150);

export function applyEvent(msg) {
  if (state.buffer && (msg.kind.startsWith("incident.") || msg.kind.startsWith("concern."))) {
    state.buffer.push(msg);
    return;
  }
  const p = msg.payload ?? {};
  switch (msg.kind) {
    case "incident.upserted":
      upsertIncident(propsFromPayload(p), { live: true });
      refreshViewport(); // the cells' counts, or the features' total
      refreshTotal();
      if (panel.isShowing("incident", p.id)) panel.refresh();
      break;
    case "incident.removed":
      // It left this user's view (moved out of their areas, handed to someone else).
      state.removedAt.set(p.id, msg.seq);
      removeIncident(p.id);
      if (panel.isShowing("incident", p.id)) panel.close();
      refreshViewport();
      refreshTotal();
      break;
    case "concern.upserted":
      upsertConcern(propsFromPayload(p), { live: true });
      if (panel.isShowing("concern", p.id)) panel.refresh();
      break;
    case "concern.removed":
      removeConcern(p.id);
      if (panel.isShowing("concern", p.id)) panel.close();
      break;
    case "patrol.upserted":
    case "patrol.moved":
      upsertPatrol(p);
      break;
    case "repeat_place.upserted": // issue 16
      proposals.apply(p);
      break;
    case "followup.upserted":
    case "followup.removed":
      // A removed follow-up carries only its id: refresh whichever panel lists it.
      if (p.incident === undefined && p.concern === undefined) {
        if (panel.data?.followups?.some((f) => f.id === p.id)) refreshPanelSoon();
        break;
      }
      if ((p.incident && panel.isShowing("incident", p.incident)) || (p.concern && panel.isShowing("concern", p.concern))) {
        refreshPanelSoon();
      }
      break;
    case "timeline.added":
      if ((p.incident && panel.isShowing("incident", p.incident)) || (p.concern && panel.isShowing("concern", p.concern))) {
        refreshPanelSoon();
      }
      break;
    default:
      break;
  }
}

/** Applies the events held during a snapshot that is newer than `sequence` (all if null). */
export function replayBuffer(sequence) {
  const held = state.buffer ?? [];
  state.buffer = null;
  for (const msg of held) if (sequence === null || msg.seq > sequence) applyEvent(msg);
}
