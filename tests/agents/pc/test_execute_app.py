"""The xdotool executor on the GTK test app under Xvfb: every pointer and key action of the grammar, read
back from the app's own state file (not from what the executor says it did)."""

from __future__ import annotations

from pc_desktop import Desktop, TestApp

from limkit.agents.pc import Action, parse_action
from limkit.agents.pc._execute import Executor


def test_actions_reach_the_app(x_desktop: Desktop, gtk_app: TestApp) -> None:
    run = Executor(settle_seconds=0.2).execute
    run(Action("double click", target="the canvas"), gtk_app.centre("Canvas"))
    assert gtk_app.wait_for(lambda s: s["double_clicks"] == 1)["clicked"]["Save"] == 0
    left, top, right, bottom = gtk_app.rect("Canvas")
    run(parse_action(f"drag from ({left + 20}, {top + 20}) to ({right - 20}, {bottom - 30})"))
    state = gtk_app.wait_for(lambda s: len(s["drags"]) == 1)
    assert state["drags"] == [[left + 20, top + 20, right - 20, bottom - 30]]
    run(Action("click", target="the Name entry"), gtk_app.centre("Name"))
    run(parse_action("type text: grüße, 2 €"))
    assert gtk_app.wait_for(lambda s: s["entry"] == "grüße, 2 €")
    run(parse_action("hotkey (ctrl, a)"))
    run(parse_action("press key: backspace"))
    assert gtk_app.wait_for(lambda s: s["entry"] == "")
    x_desktop.xdotool("mousemove", *gtk_app.centre("Rows"))
    run(parse_action("scroll (0, -3)"))
    down = gtk_app.wait_for(lambda s: s["list_scroll"] > 0)["list_scroll"]
    run(parse_action("scroll (0, 2)"))
    assert gtk_app.wait_for(lambda s: s["list_scroll"] < down)["scrolls"] == 5
    run(Action("right click", target="Save"), gtk_app.centre("Save"))
    run(Action("click", target="Save"), gtk_app.centre("Save"))
    assert gtk_app.wait_for(lambda s: s["clicked"]["Save"] == 1)["clicked"]["Save"] == 1
