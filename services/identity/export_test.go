package identity

// OnPasswordCheck calls f before every password check: tests count the
// checks, and hold them to line concurrent sign-ins up.
func (s *Service) OnPasswordCheck(f func()) { s.onCheck = f }
