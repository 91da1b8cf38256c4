"""The flow runner on small flows written for each behaviour (shapes from docs/reference/archy-flows.md)."""

import pytest

from architect.runtime.flow import SimulationError, UnsupportedFeatureError


def task_flow(actions: str, variables: str = "", settings: str = "", more_tasks: str = "") -> str:
    """An inboundCall flow whose start-up task has the given actions (YAML, indented 10 spaces)."""
    return f"""\
inboundCall:
  name: Test Flow
  startUpRef: /inboundCall/tasks/task[main]
{settings}
  tasks:
    - task:
        name: Main
        refId: main
        variables:
          - stringVariable:
              name: Task.placeholder
{variables}
        actions:
{actions}
{more_tasks}
"""


def kinds(result):
    return [step.kind for step in result.steps]


def test_decision_with_unquoted_yes_key_and_participant_data(simulate):
    result = simulate(task_flow("""\
          - decision:
              condition: {exp: 'Replace(Call.Ani, "tel:", "") == "+13175550116"'}
              outputs:
                yes:
                  actions:
                    - setParticipantData:
                        attributes:
                          - attribute: {name: {lit: caller}, value: {exp: 'ToPhoneNumber(Call.Ani).e164'}}
                          - attribute: {name: {lit: Count}, value: {exp: '1 + 2'}}
                          - attribute: {name: {lit: count}, value: {lit: "x"}}
                "no":
                  actions:
                    - disconnect: {name: Not here}
          - transferToAcd:
              name: To sales
              targetQueue: {lit: {name: Sales}}
              preTransferAudio: {tts: Hold on.}
"""))
    # Keys are case-sensitive; a number is implicitly cast to text where a string is expected.
    assert result.participantData == {"caller": "+13175550116", "Count": "3", "count": "x"}
    assert result.disposition.kind == "transferred_to_queue"
    assert result.disposition.queue == "Sales"
    assert result.disposition.description == "transferred to queue Sales"
    assert [a["text"] for a in result.audio] == ["TTS 'Hold on.'"]
    decision = result.steps[1]
    assert (decision.kind, decision.detail) == ("decision", {"outcome": "yes"})
    assert result.steps[2].path == ("/inboundCall/tasks/task[main]/actions[0]/decision/outputs/yes/actions[0]"
                                    "/setParticipantData")


def test_update_data_switch_and_typed_variables(simulate):
    result = simulate(task_flow("""\
          - updateData:
              statements:
                - integer: {variable: Task.n, value: {exp: 'ToInt("41") + 1'}}
                - decimal: {variable: Task.d, value: {lit: 2.5}}
                - stringCollection: {variable: Task.list, value: {exp: 'MakeList("a", "b")'}}
          - switch:
              evaluate:
                firstTrue:
                  cases:
                    - case: {value: {exp: 'Task.n < 10'}, actions: [{disconnect: {}}]}
                    - case:
                        value: {exp: 'Task.n == 42 and Count(Task.list) == 2'}
                        actions:
                          - setParticipantData:
                              attributes:
                                - attribute: {name: {lit: n}, value: {exp: ToString(Task.n)}}
                                - attribute: {name: {lit: d}, value: {exp: 'ToString(Task.d * 2)'}}
                  default: {actions: [{disconnect: {}}]}
          - disconnect: {name: End}
"""))
    assert result.participantData == {"n": "42", "d": "5"}
    assert result.steps[2].detail == {"outcome": "case 1"}
    assert result.disposition.kind == "disconnected"
    assert result.disposition.description == "disconnected by /inboundCall/tasks/task[main]/actions[2]/disconnect"


def test_loop_with_next_and_exit(simulate):
    result = simulate(task_flow("""\
          - loop:
              currentIndex: {var: Task.i}
              loopCount: {lit: 10}
              outputs:
                loop:
                  actions:
                    - decision:
                        condition: {exp: 'Task.i == 1'}
                        outputs: {"yes": {actions: [{loopNext: {}}]}}
                    - decision:
                        condition: {exp: 'Task.i == 3'}
                        outputs: {"yes": {actions: [{loopExit: {}}]}}
                    - updateData:
                        statements: [{string: {variable: Task.seen, value: {exp: 'Task.seen + ToString(Task.i)'}}}]
          - setParticipantData:
              attributes: [{attribute: {name: {lit: seen}, value: {exp: Task.seen}}}]
          - disconnect: {}
""", variables="""\
          - integerVariable: {name: Task.i}
          - stringVariable: {name: Task.seen, initialValue: {lit: ""}}
"""))
    # Index 1 skips the update (loopNext), index 3 leaves the loop before it.
    assert result.participantData == {"seen": "02"}


def test_call_task_returns_through_its_output_path_and_jump_does_not_return(simulate):
    result = simulate(task_flow("""\
          - callTask:
              targetTaskRef: /inboundCall/tasks/task[helper]
              outputs:
                Done: {actions: [{setParticipantData: {attributes: [{attribute: {name: {lit: back}, value: {lit: "yes"}}}]}}]}
          - jumpToTask: {targetTaskRef: "./tasks/task[last]"}
          - disconnect: {name: never reached}
""", more_tasks="""\
    - task:
        name: Helper
        refId: helper
        actions:
          - setParticipantData: {attributes: [{attribute: {name: {lit: helper}, value: {lit: ran}}}]}
          - endTask: {outputPath: {name: Done}}
    - task:
        name: Last
        refId: last
        actions:
          - transferToFlow: {targetFlow: {name: Billing IVR}}
"""))
    assert result.participantData == {"helper": "ran", "back": "yes"}
    assert result.disposition.kind == "transferred_to_flow"
    assert result.disposition.flow == "Billing IVR"
    assert "disconnect" not in kinds(result)


MENU_FLOW = """\
inboundCall:
  name: Menu Flow
  startUpRef: ./menus/menu[main]
  menus:
    - menu:
        name: Main Menu
        refId: main
        audio: {tts: Press 1 for sales or 2 for support.}
        choices:
          - menuTransferToAcd: {name: Sales, dtmf: digit_1, targetQueue: {lit: {name: Sales}}}
          - menuJumpToTask: {name: Support, dtmf: digit_2, targetTaskRef: "/inboundCall/tasks/task[support]"}
          - menuDisconnect: {name: Bye, dtmf: digit_9}
  tasks:
    - task:
        name: Support
        refId: support
        actions:
          - transferToAcd:
              targetQueue: {lit: {name: Support}}
              failureTransferAudio: {tts: Support is closed.}
              outputs:
                failure:
                  actions:
                    - jumpToMenu: {targetMenuRef: "/inboundCall/menus/menu[main]"}
"""


@pytest.mark.parametrize(("digits", "kind", "queue"), [
    (["1"], "transferred_to_queue", "Sales"),
    (["5", "2"], "transferred_to_queue", "Support"),
    (["9"], "disconnected", None),
])
def test_menu_choices_by_scripted_digits(simulate, digits, kind, queue):
    result = simulate(MENU_FLOW, dtmf=digits)
    assert (result.disposition.kind, result.disposition.queue) == (kind, queue)


def test_menu_without_more_digits_ends_with_out_of_input(simulate):
    result = simulate(MENU_FLOW, dtmf=["2"], unavailable_queues=["support"])
    # Support is unavailable: the failure output jumps back to the menu, which has no digit left.
    assert result.disposition.kind == "out_of_input"
    assert result.disposition.description == ("ran out of scripted input at menu 'Main Menu' "
                                              "(give more digits with --dtmf)")
    assert [a["text"] for a in result.audio] == ["TTS 'Press 1 for sales or 2 for support.'",
                                                 "TTS 'Support is closed.'",
                                                 "TTS 'Press 1 for sales or 2 for support.'"]


def test_menu_default_choice_when_no_digit(simulate):
    flow = MENU_FLOW.replace("        audio:", "        defaultChildMenuRef: ./choices/menuDisconnect[Bye]\n"
                                             "        audio:", 1)
    result = simulate(flow)
    assert result.disposition.description == "disconnected by menu choice 'Bye'"


ERROR_SETTINGS = """\
  settingsErrorHandling:
    errorHandling: {disconnect: {none: true}}
    preHandlingAudio: {tts: "Sorry, an error occurred."}"""


def test_reading_not_set_goes_to_error_handling(simulate):
    result = simulate(task_flow("""\
          - getParticipantData:
              attributes: [{attribute: {name: {lit: delay}, variable: Task.delay}}]
          - updateData:
              statements: [{integer: {variable: Task.n, value: {exp: 'ToInt(Task.delay) + 1'}}}]
          - transferToAcd: {targetQueue: {lit: {name: Sales}}}
""", variables="          - stringVariable: {name: Task.delay}\n          - integerVariable: {name: Task.n}",
        settings=ERROR_SETTINGS))
    assert result.disposition.kind == "disconnected"
    assert result.disposition.description.startswith("disconnected by error handling after: "
                                                     "/inboundCall/tasks/task[main]/actions[1]/updateData/"
                                                     "statements[0]/integer/value/exp:")
    assert result.errors[0]["path"] == ("/inboundCall/tasks/task[main]/actions[1]/updateData/statements[0]/integer"
                                        "/value/exp")
    assert result.audio[-1]["text"] == "TTS 'Sorry, an error occurred.'"
    assert kinds(result)[-1] == "errorHandling"


def test_participant_data_from_an_earlier_flow_is_read(simulate):
    result = simulate(task_flow("""\
          - getParticipantData:
              attributes: [{attribute: {name: {lit: delay}, variable: Task.delay}}]
          - transferToAcd: {targetQueue: {exp: 'If(ToInt(Task.delay) > 5, Task.late, Task.early)'}}
""", variables="""\
          - stringVariable: {name: Task.delay}
          - queueVariable: {name: Task.late, initialValue: {lit: {name: Callbacks}}}
          - queueVariable: {name: Task.early, initialValue: {lit: {name: Sales}}}
"""), participant_data={"delay": "10"})
    assert result.disposition.queue == "Callbacks"


def test_in_queue_flow_runs_start_up_actions_once_and_error_handling_queues(simulate):
    flow = """\
        inqueueCall:
          name: In Queue
          settingsInQueueCall: {holdMusic: {lit: {name: PromptSystem.on_hold_music}}}
          settingsErrorHandling:
            errorHandling: {queue: {targetQueue: {lit: {name: Fallback}}}}
          startUpTaskActions:
            - playAudio: {audio: {exp: 'ToAudioTTS("You are waiting in " + Call.CurrentQueue.name)'}}
            - holdMusic: {prompt: {exp: Flow.HoldPrompt}}
        """
    waiting = simulate(flow, current_queue={"name": "Sales", "id": "q-1"})
    assert waiting.disposition.kind == "waiting_in_queue"
    assert waiting.disposition.queue == "Sales"
    assert [a["text"] for a in waiting.audio] == ["TTS 'You are waiting in Sales'",
                                                  "prompt PromptSystem.on_hold_music"]
    # Without a current queue, Call.CurrentQueue is NOT_SET: reading .name fails and error handling queues the call.
    failed = simulate(flow)
    assert failed.disposition.kind == "transferred_to_queue"
    assert failed.disposition.queue == "Fallback"
    assert failed.errors[0]["path"] == "/inqueueCall/startUpTaskActions[0]/playAudio/audio/exp"


def test_error_handling_jump_to_task(simulate):
    settings = """\
  settingsErrorHandling:
    errorHandling: {jumpToTask: {targetTaskRef: "/inboundCall/tasks/task[recover]"}}"""
    result = simulate(task_flow("""\
          - decision: {condition: {exp: 'ToInt(Task.placeholder) > 0'}}
""", settings=settings, more_tasks="""\
    - task:
        name: Recover
        refId: recover
        actions: [{transferToAcd: {targetQueue: {lit: {name: Operators}}}}]
"""))
    assert result.disposition.queue == "Operators"
    assert result.errors == [{"kind": "flowError", "path": "/inboundCall/tasks/task[main]/actions[0]/decision/condition/exp",
                              "message": result.errors[0]["message"]}]
    assert "NOT_SET" in result.errors[0]["message"]


def test_unsupported_action_names_it_and_its_path(simulate):
    with pytest.raises(UnsupportedFeatureError) as error:
        simulate(task_flow("""\
          - playAudio: {audio: {tts: hi}}
          - callBotFlow: {name: Ask the bot}
"""))
    assert str(error.value) == ("/inboundCall/tasks/task[main]/actions[1]/callBotFlow: "
                                "unsupported action callBotFlow")
    # The partial result keeps what ran before.
    assert [s.kind for s in error.value.result.steps] == ["task", "playAudio"]
    assert error.value.result.disposition.kind == "stopped"


def test_unsupported_function_names_it_and_its_path(simulate):
    with pytest.raises(UnsupportedFeatureError) as error:
        simulate(task_flow("""\
          - updateData:
              statements: [{string: {variable: Task.placeholder, value: {exp: 'FindQueueById("q")'}}}]
"""))
    assert str(error.value).startswith("/inboundCall/tasks/task[main]/actions[0]/updateData/statements[0]/string"
                                       "/value/exp: unsupported function FindQueueById")


def test_unknown_built_in_and_undeclared_variable(simulate):
    with pytest.raises(UnsupportedFeatureError, match="unsupported built-in variable Call.Nonsense"):
        simulate(task_flow("          - decision: {condition: {exp: 'Call.Nonsense == \"\"'}}\n"))
    with pytest.raises(SimulationError, match="Task.missing is not declared"):
        simulate(task_flow("          - decision: {condition: {exp: 'Task.missing == \"\"'}}\n"))


def test_endless_jumps_hit_the_step_limit(simulate):
    with pytest.raises(SimulationError, match="step limit of 50 reached"):
        simulate(task_flow("          - jumpToTask: {targetTaskRef: './tasks/task[main]'}\n"), max_steps=50)


def test_task_without_terminating_action(simulate):
    result = simulate(task_flow("          - playAudio: {audio: {tts: hi}}\n"))
    assert result.disposition.kind == "disconnected"
    assert result.disposition.description == ("task 'Main' ran out of actions without a disconnect, transfer or "
                                              "jump; the simulation ends the call")
