package contest

import "sort"

type missionSet struct {
	list []*Mission
	byID map[string]*Mission
}

// SetMissions replaces the missions in force.
func (r *Registry) SetMissions(ms []*Mission) {
	s := &missionSet{list: append([]*Mission(nil), ms...), byID: make(map[string]*Mission, len(ms))}
	sort.Slice(s.list, func(i, j int) bool { return s.list[i].ID < s.list[j].ID })
	for _, m := range s.list {
		s.byID[m.ID] = m
	}
	r.missions.Store(s)
}

// Missions returns the missions in force, sorted by id. Do not modify.
func (r *Registry) Missions() []*Mission {
	if s := r.missions.Load(); s != nil {
		return s.list
	}
	return nil
}

// Mission returns the mission with id, or nil.
func (r *Registry) Mission(id string) *Mission {
	if s := r.missions.Load(); s != nil {
		return s.byID[id]
	}
	return nil
}
