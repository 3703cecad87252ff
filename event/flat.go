package event

import "github.com/go-json-experiment/json/jsontext"

// flatEvent is a wireEvent without pointers: the required strings are
// values with a presence bit (has: the f… bits of scan.go), so that the
// scanner fills one on Parse's stack (the strings it returns are copied out
// of it; with pointers into a second struct, the escape analysis, which is
// field-insensitive, would move that struct to the heap). validate reads it.
type flatEvent struct {
	has                                     uint32 // present: fEventID, fTS, fType, fUserID, fFunds, fGameID, fGameProvider, fBetCurrency
	chars                                   uint32 // tokens known to be all of [A-Za-z0-9_-] (their f… bits; the scanner's, from the intern table)
	eventID, ts, typ, userID, funds         string
	market, brand                           string
	gameID, gameProvider, gameType          string
	currency                                string
	betAmount, winAmount, winMult, roundDur jsontext.Value
	roundID, roundStatus                    string
	devPlatform, devASN, devID, traceID     string
}

// presentBits are the bits of flatEvent.has.
const presentBits = fEventID | fTS | fType | fUserID | fFunds | fGameID | fGameProvider | fBetCurrency

func (f *flatEvent) present(bit uint32) bool { return f.has&bit != 0 }

// known reports whether the token of bit is known to be all of
// [A-Za-z0-9_-], so that only its length is left to check.
func (f *flatEvent) known(bit uint32) bool { return f.chars&bit != 0 }

// flatten copies w into f.
func (w *wireEvent) flatten(f *flatEvent) {
	req := func(p *string, bit uint32) string {
		if p == nil {
			return ""
		}
		f.has |= bit
		return *p
	}
	*f = flatEvent{}
	f.eventID = req(w.EventID, fEventID)
	f.ts = req(w.TS, fTS)
	f.typ = req(w.Type, fType)
	f.userID = req(w.UserID, fUserID)
	f.funds = req(w.Funds, fFunds)
	f.market, f.brand = w.Market, w.Brand
	f.gameID = req(w.Game.ID, fGameID)
	f.gameProvider = req(w.Game.Provider, fGameProvider)
	f.gameType = w.Game.Type
	f.currency = req(w.Bet.Currency, fBetCurrency)
	f.betAmount, f.winAmount, f.winMult, f.roundDur = w.Bet.AmountMinor, w.Win.AmountMinor, w.Win.Multiplier, w.Round.DurationMS
	f.roundID, f.roundStatus = w.Round.ID, w.Round.Status
	f.devPlatform, f.devASN, f.devID, f.traceID = w.Device.Platform, w.Device.ASN, w.Device.ID, w.TraceID
}
