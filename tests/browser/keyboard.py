"""Keyboard-only helpers for browser tests: move focus with keys and check where it landed.

The tests that use these press keys only (Tab, Shift+Tab, arrows, Space, Enter and typing into
the focused field); no clicks, no `fill`. The helpers read the page through JavaScript.

- `press(page, key)`: press one key; a Tab or Shift+Tab must move focus (never trapped) and the
  focused element must not be obscured; with `expect`, that locator must have focus.
- `tab_to(page, locator)`: press Tab (or Shift+Tab) until `locator` has focus; fails when focus
  stays put, does not get there within `max_presses` or comes back to an earlier stop (a cycle).
- `assert_focus(page, locator)`: the focused element is `locator`'s element, in the viewport and
  not under any `position: sticky/fixed` element. Returns the focused element's description.
- `assert_not_obscured(page)`: the focused element has a size, lies inside the viewport, its box
  intersects no sticky or fixed element's box and nothing else is on top of it at its centre
  (WCAG 2.2 2.4.11 Focus Not Obscured).
- `assert_not_trapped(page, leaves)`: Tab from the focused element eventually focuses something
  outside the element `leaves` (a form, a dialog) — focus is never trapped in it.
- `focused(page)`: a short description of the focused element (tag, id, role, accessible-ish name).
"""

from __future__ import annotations

from typing import Any

# A description of the focused element and the boxes it must stay clear of. Sticky and fixed
# elements that contain the focused element (the bar around a focused button) do not count.
_FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) {
    return null;
  }
  const labelled = el.getAttribute("aria-labelledby");
  let name = el.getAttribute("aria-label") || "";
  if (!name && labelled) {
    name = labelled.split(/\\s+/).map((id) => {
      const ref = document.getElementById(id);
      return ref ? ref.textContent : "";
    }).join(" ");
  }
  if (!name && el.labels && el.labels.length) {
    name = el.labels[0].textContent;
  }
  if (!name && el.tagName === "FIELDSET") {
    const legend = el.querySelector("legend");
    name = legend ? legend.textContent : "";
  }
  if (!name) {
    name = el.tagName === "INPUT" || el.tagName === "TEXTAREA" ? (el.value || "") : (el.textContent || "");
  }
  const box = el.getBoundingClientRect();
  const covers = [];
  for (const other of document.querySelectorAll("body *")) {
    const position = getComputedStyle(other).position;
    if ((position !== "sticky" && position !== "fixed") || other.contains(el)) {
      continue;
    }
    const r = other.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) {
      continue;
    }
    const overlap = box.left < r.right && r.left < box.right && box.top < r.bottom && r.top < box.bottom;
    if (overlap) {
      covers.push((other.className || other.tagName) + " " + JSON.stringify([r.top, r.bottom]));
    }
  }
  // What the browser hit-tests at the centre of the element's visible part (of each line of a
  // link that wraps): the element itself, something inside it or its label, unless anything
  // else lies on top.
  let under = "";
  for (const part of el.getClientRects()) {
    const cx = (Math.max(part.left, 0) + Math.min(part.right, window.innerWidth)) / 2;
    const cy = (Math.max(part.top, 0) + Math.min(part.bottom, window.innerHeight)) / 2;
    const hit = document.elementFromPoint(cx, cy);
    if (hit && !(el === hit || el.contains(hit) || (el.labels && [...el.labels].some((l) => l.contains(hit))))) {
      under = hit.tagName + "." + hit.className;
    }
  }
  return {
    index: Array.prototype.indexOf.call(document.getElementsByTagName("*"), el),
    tag: el.tagName.toLowerCase(),
    id: el.id || "",
    type: el.getAttribute("type") || "",
    value: el.value === undefined ? "" : String(el.value),
    name: name.replace(/\\s+/g, " ").trim(),
    box: [box.top, box.bottom, box.left, box.right],
    viewport: [window.innerHeight, window.innerWidth],
    covers: covers,
    under: under,
  };
}"""


def focus_state(page: Any) -> dict[str, Any] | None:
    """The focused element's index (in document order), tag, id, type, value, name, box (top,
    bottom, left, right), the viewport (height, width), the sticky/fixed boxes covering it and
    what else lies on top of it at its centre (`under`, empty when nothing does); None when
    nothing (the body) has focus."""
    return page.evaluate(_FOCUS_STATE)


def focused(page: Any) -> str:
    """A readable description of the focused element, e.g. `textarea#q-ovrigt "Övrigt"`."""
    state = focus_state(page)
    if state is None:
        return "<body>"
    ident = f"#{state['id']}" if state["id"] else ""
    kind = f"[type={state['type']}]" if state["type"] else ""
    return f'{state["tag"]}{ident}{kind} "{state["name"][:80]}"'


def has_focus(locator: Any) -> bool:
    """Whether `locator`'s (first) element is the focused element."""
    return bool(locator.first.evaluate("el => el === document.activeElement"))


def assert_not_obscured(page: Any) -> None:
    """The focused element has a size, is inside the viewport, no sticky/fixed element covers any
    of it and nothing else is on top of it at its centre."""
    state = focus_state(page)
    assert state is not None, "nothing has focus"
    top, bottom, left, right = state["box"]
    height, width = state["viewport"]
    where = f"{focused(page)} at {[round(v) for v in state['box']]} in viewport {width}x{height}"
    assert bottom > top and right > left, f"the focused element has no size: {where}"
    # An element taller than the viewport cannot fit; its top must then be visible.
    assert top >= -0.5 and left >= -0.5 and right <= width + 0.5, f"outside the viewport: {where}"
    assert top < height, f"below the viewport: {where}"
    assert bottom <= height + 0.5 or bottom - top > height, f"below the viewport: {where}"
    assert not state["covers"], f"{where} is covered by {state['covers']}"
    assert not state["under"], f"{where} is under {state['under']} at its centre"


def assert_focus(page: Any, locator: Any) -> str:
    """`locator` has focus and is not obscured; returns `focused(page)` for messages."""
    assert has_focus(locator), f"focus is on {focused(page)}, expected {locator}"
    assert_not_obscured(page)
    return focused(page)


def press(page: Any, key: str, *, expect: Any = None) -> dict[str, Any] | None:
    """Press `key` and return `focus_state(page)` afterwards.

    A Tab or Shift+Tab must move focus to another element (focus is never trapped); whatever has
    focus afterwards must pass `assert_not_obscured`, and with `expect` it must be that locator.
    """
    before = _key(focus_state(page))
    page.keyboard.press(key)
    state = focus_state(page)
    if key in ("Tab", "Shift+Tab"):
        assert _key(state) != before, f"{key} left focus on {focused(page)} (trapped)"
    if expect is not None:
        assert has_focus(expect), f"after {key} focus is on {focused(page)}, expected {expect}"
    if state is not None:
        assert_not_obscured(page)
    return state


def _key(state: dict[str, Any] | None) -> tuple[Any, ...]:
    if state is None:
        return ("body",)
    # The element's place in the document: links of the same name in a table are told apart.
    return (state["index"], state["tag"], state["id"], state["name"])


def tab_to(page: Any, locator: Any, *, max_presses: int = 60, backwards: bool = False,
           check_obscured: bool = True) -> int:
    """Press Tab (Shift+Tab with `backwards`) until `locator` has focus; returns the count.

    Every stop on the way is checked with `assert_not_obscured` (unless `check_obscured` is
    false). Fails when a press leaves focus where it was (trapped), when focus is still
    elsewhere after `max_presses`, or when it returns to an element already visited before
    reaching the target (focus cycles without getting there).
    """
    key = "Shift+Tab" if backwards else "Tab"
    seen: list[tuple[Any, ...]] = []
    previous = _key(focus_state(page))
    for count in range(1, max_presses + 1):
        page.keyboard.press(key)
        now = _key(focus_state(page))
        assert now != previous, f"{key} left focus on {focused(page)} (trapped)"
        previous = now
        if check_obscured and now != ("body",):
            assert_not_obscured(page)
        if has_focus(locator):
            return count
        assert now not in seen or now == ("body",), (
            f"focus cycled back to {focused(page)} after {count} {key} without reaching {locator}")
        seen.append(now)
    raise AssertionError(f"{locator} not reached after {max_presses} {key}; focus is on {focused(page)}")


def assert_not_trapped(page: Any, leaves: Any, *, max_presses: int = 200) -> int:
    """Tab from the current focus until focus is outside `leaves`'s element; returns the count."""
    for count in range(1, max_presses + 1):
        page.keyboard.press("Tab")
        inside = leaves.first.evaluate("el => el.contains(document.activeElement)")
        if not inside:
            return count
    raise AssertionError(f"focus still inside {leaves} after {max_presses} Tab: {focused(page)}")
