//! The supervisors' queue board in the app (the organisation issue, item 4): read when a
//! supervisor's link comes up and again whenever their stream says a queue or a team member
//! changed — live, without polling. Reads never overlap: a change while one is under way marks
//! the board stale and one more read follows when it answers.

use super::{Call, Effect, Model, Origin};
use crate::view::QueueView;

/// Where the board's read stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum BoardRead {
    #[default]
    Idle,
    Reading,
    /// Something changed while reading: read once more when it answers.
    Stale,
}

impl Model {
    /// A supervisor's board may have changed: read it (or once more after the current read).
    pub(super) fn want_board(&mut self, fx: &mut Vec<Effect>) {
        if !self.state.me.as_ref().is_some_and(|m| m.role.supervises()) {
            return;
        }
        match self.board_read {
            BoardRead::Idle => {
                self.board_read = BoardRead::Reading;
                fx.push(Effect::Call(Call::LoadBoard, Origin::Background));
            }
            BoardRead::Reading | BoardRead::Stale => self.board_read = BoardRead::Stale,
        }
    }

    /// The board as read (or `None`: the read failed; the last board stays).
    pub(super) fn on_board(&mut self, board: Option<Vec<QueueView>>, fx: &mut Vec<Effect>) {
        if let Some(b) = board {
            self.state.board = b;
        }
        let again = self.board_read == BoardRead::Stale;
        self.board_read = BoardRead::Idle;
        if again {
            self.want_board(fx);
        }
    }
}
